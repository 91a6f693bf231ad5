import Foundation
import Testing
import VanityDiagnostics
import VanityDriver

/// One fixture per error class under Tests/Fixtures/manifests. Each fixture
/// lists the exact diagnostics it must produce as `# expect: LINE:COL: ...`
/// comments (the path is the fixture's); the run must produce exactly those.
@Suite struct ManifestFixtureTests {
    static let dir = repoRoot + "/Tests/Fixtures/manifests"

    static var fixtures: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasSuffix(".toml") }.sorted()
    }

    @Test func thereIsAFixturePerErrorClass() {
        #expect(Self.fixtures.count >= 18)
    }

    @Test(arguments: fixtures)
    func fixtureProducesExactlyItsExpectedDiagnostics(_ name: String) throws {
        let path = Self.dir + "/" + name
        // Read leniently: a fixture may hold bytes that are not UTF-8 on purpose.
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        let expected = text.split(separator: "\n", omittingEmptySubsequences: false)
            .compactMap { line -> String? in
                guard line.hasPrefix("# expect: ") else { return nil }
                return path + ":" + line.dropFirst("# expect: ".count)
            }
        try #require(!expected.isEmpty, "\(name) has no `# expect:` lines")
        let diags: [Diagnostic]
        switch Driver.check(configPath: path, platformsDirectory: repoRoot + "/Platforms") {
        case .success(let c): diags = c.diagnostics
        case .failure(let f):
            #expect(f.status == .dataError)
            diags = f.diagnostics
        }
        let got = diags.flatMap { $0.description.split(separator: "\n").map(String.init) }
        #expect(got == expected, "\n--- got:\n\(got.joined(separator: "\n"))\n--- expected:\n\(expected.joined(separator: "\n"))")
    }
}
