import ArgumentParser
import Foundation
import VanityDebug

struct Ps: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the running system's shards (debug link).")
    @OptionGroup var link: LinkOptions

    func run() throws {
        let c = try link.connect()
        let (build, shards, stats) = try Console.link { (try c.client.hello(), try c.client.ps(), try c.client.stats()) }
        print("\(build.system) on \(build.platform), build \(BuildInfo.short(build.buildID))"
              + (build.buildID == c.localBuildID ? "" : " (not the build of \(link.options.config) on disk)"))
        print("shard                    id  core  state       generation  restarts  code")
        for s in shards {
            print(s.name.rightPad(24) + " " + String(s.id).leftPad(3) + "  " + String(s.core).leftPad(4) + "  "
                  + (s.state?.name ?? "?").rightPad(10) + "  " + String(s.generation).leftPad(10) + "  "
                  + String(s.restarts).leftPad(8) + "  " + s.codeText)
        }
        // Per core, since boot: how busy, and how often it entered the kernel.
        print("")
        print("core  runs                      busy  kernel entries       syscalls    denied")
        let names = Dictionary(shards.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        // A shared core has a row for each of its shards (busy: the share of
        // the time that shard ran), next to one another.
        for core in stats.cores.enumerated().sorted(by: { ($0.element.core, $0.offset) < ($1.element.core, $1.offset) }).map(\.element) {
            let runs = core.shard.map { names[$0] ?? "shard \($0)" } ?? "(kernel)"
            print(String(core.core).leftPad(4) + "  " + runs.rightPad(24) + " " + String(format: "%4.0f%%", core.busyPercent(elapsedNs: stats.nowNs))
                  + "  " + String(core.entries).leftPad(14) + "  " + String(core.syscalls).leftPad(13) + "  " + String(core.denied).leftPad(8))
        }
    }
}
