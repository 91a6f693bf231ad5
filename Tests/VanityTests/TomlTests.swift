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
}
