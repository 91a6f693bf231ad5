import Dispatch
import VanityDiagnostics
import VanityLayout
import VanityManifest
import VanityModel
import VanityPlatform

/// The pure front end: manifest text → parsed manifest → checked systems →
/// layouts, with every diagnostic. No file access (the caller answers
/// `directoryExists` and `listFiles`, see SystemChecker); the only impurity
/// is reading the clock for `steps`.
public enum Frontend {
    public struct Output {
        public var manifest: Manifest?
        /// Empty whenever any error was reported.
        public var layouts: [Layout]
        /// Sorted by position.
        public var diagnostics: [Diagnostic]
        public var steps: [Step]

        public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    }

    public static func run(text: String, file: String, platforms: [Platform], only: [String] = [],
                           directoryExists: @escaping (String) -> Bool,
                           listFiles: @escaping (String) -> [String]? = { _ in nil }) -> Output {
        var steps: [Step] = []
        var bag = DiagnosticBag()
        let (parsed, parseDiags) = timed(&steps, "parse manifest") { ManifestParser.parse(text, file: file) }
        bag.append(contentsOf: parseDiags)
        guard let manifest = parsed else {
            return Output(manifest: nil, layouts: [], diagnostics: bag.sorted, steps: steps)
        }
        let checker = SystemChecker(manifest: manifest, available: platforms, directoryExists: directoryExists,
                                    listFiles: listFiles)
        let (systems, checkDiags) = timed(&steps, "check system", detail: { "\($0.systems.count) platform(s)" }) {
            checker.check(only: only)
        }
        bag.append(contentsOf: checkDiags)
        var layouts: [Layout] = []
        if !bag.hasErrors {
            for sys in systems {
                switch timed(&steps, "lay out \(sys.platform.name)", { Placer.place(sys) }) {
                case .success(let l): layouts.append(l)
                case .failure(let e): bag.append(e.diagnostic)
                }
            }
        }
        if bag.hasErrors { layouts = [] }
        return Output(manifest: manifest, layouts: layouts, diagnostics: bag.sorted, steps: steps)
    }

    static func timed<T>(_ steps: inout [Step], _ name: String, detail: (T) -> String = { _ in "" }, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        let v = try body()
        let secs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        steps.append(Step(name: name, seconds: secs, detail: detail(v)))
        return v
    }
}
