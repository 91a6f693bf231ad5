import Testing
import VanityDebug

/// The debug link's framing (Kernel/src/debug.c, shared by kernel and host).
@Suite struct DebugProtocolTests {
    func randomFrame(_ rng: inout SplitMix64) -> DebugFrame {
        let n = Int(rng.next() % 200 == 0 ? UInt64(DebugFrame.maxPayload) : rng.next() % 64)
        return DebugFrame(type: UInt8(truncatingIfNeeded: rng.next()), id: UInt16(truncatingIfNeeded: rng.next()),
                          payload: (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
    }

    @Test func framesRoundTripWhateverTheChunking() throws {
        var rng = SplitMix64(seed: 1)
        let frames = (0..<500).map { _ in randomFrame(&rng) }
        let wire = frames.flatMap { $0.encoded()! }
        var decoder = DebugDecoder()
        var got: [DebugFrame] = []
        var i = 0
        while i < wire.count {
            let step = Int(1 + rng.next() % 97)
            got += decoder.feed(wire[i..<min(wire.count, i + step)])
            i += step
        }
        #expect(got == frames)
        #expect(decoder.dropped == 0 && decoder.rejected == 0)
    }

    @Test func theCrcIsIeee() {
        // The check value of CRC-32/ISO-HDLC ("123456789" → 0xCBF43926), seen
        // through a frame: its last four bytes are the CRC of the rest.
        #expect(DebugFrame.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        let wire = DebugFrame(type: 1, id: 0x0203, payload: Array("123456789".utf8)).encoded()!
        #expect(Array(wire.prefix(8)) == [0x56, 0x44, 1, 1, 0x03, 0x02, 9, 0])
        #expect(wire.count == 8 + 9 + 4)
        let crc = DebugFrame.crc32(Array(wire.prefix(17)))
        #expect(Array(wire.suffix(4)) == [UInt8(crc & 0xff), UInt8(crc >> 8 & 0xff), UInt8(crc >> 16 & 0xff), UInt8(crc >> 24)])
    }

    @Test func garbageAndCorruptFramesAreSkippedAndTheLinkResynchronises() {
        var rng = SplitMix64(seed: 2)
        var decoder = DebugDecoder()
        var expected: [DebugFrame] = []
        var corrupted = 0
        var wire: [UInt8] = []
        for _ in 0..<300 {
            // Noise between frames, including stray magic bytes.
            wire += (0..<Int(rng.next() % 12)).map { _ in rng.next() % 5 == 0 ? 0x56 : UInt8(truncatingIfNeeded: rng.next()) }
            let f = randomFrame(&rng)
            var bytes = f.encoded()!
            switch rng.next() % 5 {
            case 0: // a flipped bit anywhere
                let k = Int(rng.next() % UInt64(bytes.count))
                bytes[k] ^= UInt8(1 << (rng.next() % 8))
                corrupted += 1
            case 1: // truncated
                bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count))))
                corrupted += 1
            default:
                expected.append(f)
            }
            wire += bytes
        }
        // A last good frame proves the link is in sync after all of it.
        let last = DebugFrame(type: 0x81, id: 7, payload: [1, 2, 3])
        expected.append(last)
        wire += last.encoded()! + last.encoded()!
        expected.append(last)
        let got = decoder.feed(wire)
        // Every intact frame arrives, in order; nothing corrupt gets through.
        #expect(got == expected, "got \(got.count) frames, expected \(expected.count)")
        #expect(decoder.dropped > 0)
        #expect(corrupted > 50)
    }

    @Test func oversizedPayloadsAreRefused() {
        #expect(DebugFrame(type: 1, id: 1, payload: [UInt8](repeating: 0, count: DebugFrame.maxPayload + 1)).encoded() == nil)
        #expect(DebugFrame(type: 1, id: 1, payload: [UInt8](repeating: 0, count: DebugFrame.maxPayload)).encoded() != nil)
    }
}

@Suite struct ConsoleDemuxTests {
    @Test func framesAreSeparatedFromConsoleTextInOrder() {
        var rng = SplitMix64(seed: 3)
        var demux = ConsoleDemux()
        var wire: [UInt8] = []
        var text: [UInt8] = []
        var frames: [DebugFrame] = []
        for k in 0..<200 {
            let line = Array("kernel: line \(k) with VD and V inside\n".utf8)
            wire += line
            text += line
            let f = DebugFrame(type: 0x82, id: UInt16(k), payload: (0..<Int(rng.next() % 40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            wire += f.encoded()!
            frames.append(f)
        }
        var gotText: [UInt8] = []
        var gotFrames: [DebugFrame] = []
        var i = 0
        while i < wire.count {
            let step = Int(1 + rng.next() % 50)
            for piece in demux.feed(Array(wire[i..<min(wire.count, i + step)])) {
                switch piece {
                case .console(let t): gotText += t
                case .frame(let f): gotFrames.append(f)
                }
            }
            i += step
        }
        gotText += demux.flush()
        #expect(gotFrames == frames)
        #expect(gotText == text)
    }
}
