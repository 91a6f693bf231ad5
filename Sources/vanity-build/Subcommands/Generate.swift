import ArgumentParser

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the manifest, lay out every platform and generate sources only.")

    @OptionGroup var build: BuildOptions

    func run() throws { _ = try Build.run(build, compile: false) }
}
