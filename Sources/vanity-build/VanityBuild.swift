import ArgumentParser

/// The command line: one thin file per subcommand in Subcommands/, each
/// parsing its arguments and printing; the work is in VanityDriver and
/// VanityDebug.
@main
struct VanityBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vanity-build",
        abstract: "Build a Vanity system from its system.toml manifest.",
        subcommands: [New.self, Build.self, Generate.self, Check.self, LayoutCommand.self, Run.self,
                      Ps.self, Logs.self, Restart.self, Hold.self, Release.self, Reload.self, Dump.self],
        defaultSubcommand: Build.self)
}
