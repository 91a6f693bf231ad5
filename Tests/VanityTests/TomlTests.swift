import Testing
@testable import VanityManifest

@Suite struct TomlTests {
    @Test func positionsOfKeysAndValues() throws {
        let text = "[system]\nname = \"demo\"\n[shards.a]\ncores = [1, 2]\n"
        let root = try Toml.parse(text, file: "t.toml").get()
        let name = try #require(root["system"]?["name"])
        #expect(name.keyLocation.line == 2 && name.keyLocation.column == 1)
        #expect(name.location.line == 2 && name.location.column == 8)
        let cores = try #require(root["shards"]?["a"]?["cores"])
        guard case .array(let items) = cores.value else { Issue.record("not an array"); return }
        #expect(items.count == 2)
        #expect(items[1].location.column == 13)
    }

    @Test func syntaxErrorHasPosition() {
        switch Toml.parse("[system]\nname = \n", file: "t.toml") {
        case .success: Issue.record("expected a syntax error")
        case .failure(.syntax(let d)):
            #expect(d.location.line == 2)
            #expect(d.description.hasPrefix("t.toml:2:"))
        }
    }

    @Test func hugeIntegerIsAnErrorNotATrap() {
        if case .success = Toml.parse("x = 99999999999999999999999\n", file: "t.toml") {
            Issue.record("expected an error")
        }
    }

    @Test func keysAndStringsKeepU0000() throws {
        let root = try Toml.parse("\"a\\u0000x\" = \"p\\u0000q\"\n\"a\\u0000y\" = 2\n", file: "t.toml").get()
        #expect(root.entries.map(\.key) == ["a\u{0}x", "a\u{0}y"])
        guard case .string(let s) = root.entries[0].node.value else { Issue.record("not a string"); return }
        #expect(s == "p\u{0}q")
    }

    /// toml++ recurses once per level; the pre-scan stops deep input first,
    /// at the first level past the limit.
    @Test(arguments: [
        (String(repeating: "a.", count: 64) + "a = 1", 1, 128),
        ("[t]\n" + String(repeating: "a.", count: 63) + "a = 1", 2, 126),
        ("[" + String(repeating: "a.", count: 64) + "a]", 1, 129),
        ("[[" + String(repeating: "a.", count: 64) + "a]]", 1, 130),
        ("x = " + String(repeating: "[", count: 65) + String(repeating: "]", count: 65), 1, 69),
        ("x = [\n" + String(repeating: "[", count: 64) + String(repeating: "]", count: 65), 2, 64),
        ("x = " + String(repeating: "{a.b=", count: 40) + "1" + String(repeating: "}", count: 40), 1, 162),
        ("x = [{a = " + String(repeating: "[", count: 63) + "]", 1, 73),
    ])
    func nestingPastTheLimitIsAnError(_ text: String, _ line: Int, _ column: Int) {
        switch Toml.parse(text + "\n", file: "t.toml") {
        case .success: Issue.record("expected a nesting error")
        case .failure(.syntax(let d)):
            #expect(d.message.hasPrefix("the manifest nests more than 64 levels deep"), "\(d)")
            #expect(d.location.line == line && d.location.column == column, "\(d)")
        }
    }

    @Test(arguments: [
        String(repeating: "a.", count: 63) + "a = 1",
        "[" + String(repeating: "a.", count: 63) + "a]\nb = 1",
        "x = " + String(repeating: "[", count: 64) + String(repeating: "]", count: 64),
        "x = \"" + String(repeating: "a.[{", count: 200) + "\" # " + String(repeating: ".[{", count: 200),
        "x = \"\"\"\n" + String(repeating: "a.\\\n[{", count: 200) + "\"\"\"",
        "x = '''" + String(repeating: ".[{'", count: 200) + "'''",
        "[t]\n" + (0..<200).map { "k\($0).a.b = 1.5" }.joined(separator: "\n"),
    ])
    func nestingWithinTheLimitParses(_ text: String) throws {
        _ = try Toml.parse(text + "\n", file: "t.toml").get()
    }
}
