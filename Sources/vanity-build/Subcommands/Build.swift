import ArgumentParser
import Foundation
import VanityDriver

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the manifest, generate sources, compile the kernel and every shard and pack an image per platform (the default).")

    @OptionGroup var build: BuildOptions

    func run() throws { _ = try Build.run(build, compile: true) }

    /// Runs the build and prints its steps (Generate and Run share it).
    static func run(_ b: BuildOptions, compile: Bool) throws -> Driver.BuildResult {
        try b.options.requireManifest()
        let r = try Console.get(Driver.build(configPath: b.options.config, platforms: b.platform, out: b.out,
                                             platformsDirectory: b.options.platforms, compile: compile))
        Console.report(r.diagnostics, file: b.options.config, failed: false)
        print("vanity-build: \(r.checked.manifest.system.name?.value ?? "system") for \(r.outputs.map(\.platform).joined(separator: ", "))")
        for s in r.steps { print(s.line) }
        let total = r.steps.reduce(0) { $0 + $1.seconds } * 1000
        print(String(format: "  %@%.1f ms", "total".padding(toLength: 28, withPad: " ", startingAt: 0), total))
        for o in r.outputs {
            if let img = r.images.first(where: { $0.platform == o.platform }) {
                print("  → \(o.directory)/ (image: \(img.image))")
            } else if r.notCompiled.contains(o.platform) {
                print("  → \(o.directory)/ (sources only: \(o.platform) has no kernel port yet)")
            } else {
                print("  → \(o.directory)/")
            }
        }
        return r
    }
}
