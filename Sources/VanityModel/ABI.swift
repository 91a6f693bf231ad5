import VanityABI
import VanityManifest
import VanityPlatform

/// One constant of the kernel's ABI (Kernel/include/vanity/*.h): its value,
/// imported through VanityABI, and the C name generated C and Swift spell
/// it with. Each pair is written once, side by side, in the `abi` of the
/// Swift enum mirroring the C one; CodegenTests compiles every pair against
/// the headers, so a name that drifts from its constant fails there.
public struct ABIConstant: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public let value: UInt32

    public init(_ name: String, _ value: UInt32) {
        self.name = name
        self.value = value
    }

    public var description: String { name }

    /// <vanity/system_table.h>: no shard (a policy's `propagate_to`).
    public static let noShard = ABIConstant("VANITY_NO_SHARD", VANITY_NO_SHARD)
    /// <vanity/handles.h>: a device without an interrupt.
    public static let noIrq = ABIConstant("VANITY_NO_IRQ", VANITY_NO_IRQ)
}

/// A Swift enum that mirrors a C enum of the ABI, case for case.
public protocol ABIEnum: CaseIterable {
    var abi: ABIConstant { get }
}

extension Capability: ABIEnum {
    /// <vanity/caps.h>
    public var abi: ABIConstant {
        switch self {
        case .log: return ABIConstant("VANITY_CAP_LOG", VANITY_CAP_LOG.rawValue)
        case .time: return ABIConstant("VANITY_CAP_TIME", VANITY_CAP_TIME.rawValue)
        case .shutdown: return ABIConstant("VANITY_CAP_SHUTDOWN", VANITY_CAP_SHUTDOWN.rawValue)
        case .reload: return ABIConstant("VANITY_CAP_RELOAD", VANITY_CAP_RELOAD.rawValue)
        case .restart: return ABIConstant("VANITY_CAP_RESTART", VANITY_CAP_RESTART.rawValue)
        }
    }
}

extension PolicyKind: ABIEnum {
    /// <vanity/system_table.h>, enum vanity_policy_kind.
    public var abi: ABIConstant {
        switch self {
        case .restart: return ABIConstant("VANITY_POLICY_RESTART", VANITY_POLICY_RESTART.rawValue)
        case .hold: return ABIConstant("VANITY_POLICY_HOLD", VANITY_POLICY_HOLD.rawValue)
        case .abort: return ABIConstant("VANITY_POLICY_ABORT", VANITY_POLICY_ABORT.rawValue)
        case .propagate: return ABIConstant("VANITY_POLICY_PROPAGATE", VANITY_POLICY_PROPAGATE.rawValue)
        }
    }
}

extension ShardLang: ABIEnum {
    /// <vanity/system_table.h>, enum vanity_lang.
    public var abi: ABIConstant {
        switch self {
        case .c: return ABIConstant("VANITY_LANG_C", VANITY_LANG_C.rawValue)
        case .swift: return ABIConstant("VANITY_LANG_SWIFT", VANITY_LANG_SWIFT.rawValue)
        }
    }
}

/// Which end of a channel a shard holds.
public enum Direction: Sendable, CaseIterable, ABIEnum {
    case send, receive

    /// <vanity/handles.h>, enum vanity_direction.
    public var abi: ABIConstant {
        switch self {
        case .send: return ABIConstant("VANITY_DIR_SEND", VANITY_DIR_SEND.rawValue)
        case .receive: return ABIConstant("VANITY_DIR_RECEIVE", VANITY_DIR_RECEIVE.rawValue)
        }
    }
}

/// What a reload image is on a platform (vanity_system.image_format).
public enum ImageFormat: Sendable, CaseIterable, ABIEnum {
    case segments, hostExecutable

    /// A board's image places segments; the simulator runs host executables.
    public init(_ kind: PlatformKind) {
        self = kind == .board ? .segments : .hostExecutable
    }

    /// <vanity/reload.h>, enum vanity_image_format.
    public var abi: ABIConstant {
        switch self {
        case .segments: return ABIConstant("VANITY_IMAGE_SEGMENTS", VANITY_IMAGE_SEGMENTS.rawValue)
        case .hostExecutable: return ABIConstant("VANITY_IMAGE_HOST_EXECUTABLE", VANITY_IMAGE_HOST_EXECUTABLE.rawValue)
        }
    }
}

extension Platform {
    /// How a shard's code travels in this platform's image and in a reload.
    public var imageFormat: ImageFormat { ImageFormat(kind) }
}
