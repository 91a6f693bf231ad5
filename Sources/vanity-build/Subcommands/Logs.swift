import ArgumentParser
import Foundation
import VanityDebug
import VanityDriver

struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the running system's recent kernel and shard log lines (debug link).")
    @OptionGroup var link: LinkOptions

    func run() throws {
        let c = try link.connect()
        let (text, lost, dropped) = try Console.link { try c.client.logs() }
        if lost > 0 { print("[... \(lost) earlier bytes not kept]") }
        FileHandle.standardOutput.write(Data(c.faults().text(text)))
        if dropped > 0 { print("[\(dropped) shard line(s) dropped since boot: over the log rate limit]") }
    }
}
