import ArgumentParser
import VanityDebug

struct Ps: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the running system's shards (debug link).")
    @OptionGroup var link: LinkOptions

    func run() throws {
        let c = try link.connect()
        let (build, shards) = try Console.link { (try c.client.hello(), try c.client.ps()) }
        print("\(build.system) on \(build.platform), build \(BuildInfo.short(build.buildID))"
              + (build.buildID == c.localBuildID ? "" : " (not the build of \(link.options.config) on disk)"))
        print("shard                    id  core  state       generation  restarts  code")
        for s in shards {
            print(s.name.rightPad(24) + " " + String(s.id).leftPad(3) + "  " + String(s.core).leftPad(4) + "  "
                  + (s.state?.name ?? "?").rightPad(10) + "  " + String(s.generation).leftPad(10) + "  "
                  + String(s.restarts).leftPad(8) + "  " + s.codeText)
        }
    }
}
