import Testing

/// Marks a suite whose tests load the machine and measure time (deployments under load,
/// canaries, scaling, browsers, moto): at most `HeavyLane.permits` of their tests run at once,
/// whatever else runs beside them, so that a test's deadlines hold on a 2-core machine.
struct HeavyTrait: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    /// Each test case takes a permit; the suite itself does not.
    func scopeProvider(for test: Test, testCase: Test.Case?) -> HeavyTrait? {
        testCase == nil ? nil : self
    }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        await HeavyLane.shared.acquire()
        do {
            try await function()
        } catch {
            await HeavyLane.shared.release()
            throw error
        }
        await HeavyLane.shared.release()
    }
}

extension Trait where Self == HeavyTrait {
    /// See `HeavyTrait`.
    static var heavy: Self { HeavyTrait() }
}

/// A counting semaphore for heavy tests.
actor HeavyLane {
    static let shared = HeavyLane(permits: 2)

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(permits: Int) {
        free = permits
    }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
