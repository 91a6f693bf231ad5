import ArgumentParser
import Foundation
import VanityDebug
import VanityDriver

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild one shard and swap it into the running system (debug link); the others keep running.")
    @OptionGroup var link: LinkOptions
    @Option(name: .long, help: "The shard to rebuild and reload.") var shard: String
    @Flag(name: .long, help: "Swap at the shard's next kernel entry instead of waiting for it to wait (messages it holds may be lost).")
    var force = false
    @Flag(name: .long, help: "Reload the image that ran before the last reload instead of rebuilding.")
    var rollback = false

    func run() throws {
        let c = try link.connect()
        let session = ReloadSession(client: c.client, shard: try c.shard(shard), shardName: shard)
        let source: ReloadSession.Source = rollback ? .rollback(key: ReloadKey.read(in: c.paths.directory)) : .build {
            let b = try Console.get(Driver.buildShard(configPath: link.options.config, platform: link.platform, shard: shard, out: link.out,
                                                      platformsDirectory: link.options.platforms, checked: c.checked))
            return (b.image, b.buildID, b.key, FileManager.default.contents(atPath: b.elf).map { [UInt8]($0) })
        }
        let r: ReloadSession.Report
        do {
            r = try Console.link {
                try session.reload(localBuildID: c.localBuildID, config: link.options.config, source: source,
                                   history: ReloadHistory(folder: c.paths.reloadFolder), force: force)
            }
        } catch let f as ReloadSession.Failure {
            throw Console.error(f.description, status: f.isDataError ? ExitStatus.dataError.rawValue : 1)
        }
        let ms = { (s: Double) in String(format: "%.1f ms", s * 1000) }
        let v = r.verdict
        let state = v.held ? "held by the operator; `vanity-build release` starts it" : "generation \(v.generation) runs"
        print("vanity-build: reloaded \(shard) (\(r.bytes) bytes): \(state); \(ms(r.total)) in all "
              + "(\(r.build.map { "build " + ms($0) } ?? "no build"), transfer and swap \(ms(r.transfer)); in the kernel: "
              + "checks \(v.verifyMicros) us, quiescent after \(v.quiesceMicros) us, new code started after \(v.swapMicros) us)")
    }
}
