@testable import AsgardServer
import Foundation
import Testing

/// The wake-up a console's loops wait on: a signal wakes a waiter at once, a signal with nobody
/// waiting is kept for the next wait, and without one a wait ends at its limit.
@Suite("Wake-ups")
struct WakeupTests {
    @Test func aSignalWakesAWaiterAtOnceAndIsKeptWhenNobodyWaits() async throws {
        let wakeup = Wakeup()
        wakeup.signal()
        let kept = ContinuousClock.now
        await wakeup.wait(upTo: .seconds(30))
        #expect(ContinuousClock.now - kept < .seconds(5), "a signal before the wait is not lost")

        let waiting = Task { await wakeup.wait(upTo: .seconds(30)) }
        let signalled = ContinuousClock.now
        // Whether the waiter has begun to wait or not, the signal reaches it.
        wakeup.signal()
        await waiting.value
        #expect(ContinuousClock.now - signalled < .seconds(5))

        let started = ContinuousClock.now
        await wakeup.wait(upTo: .milliseconds(200))
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(200) && waited < .seconds(5), "no signal: the wait ends at its limit (\(waited))")
    }

    @Test func aCancelledWaitEnds() async throws {
        let wakeup = Wakeup()
        let waiting = Task { await wakeup.wait(upTo: .seconds(60)) }
        let started = ContinuousClock.now
        waiting.cancel()
        await waiting.value
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
