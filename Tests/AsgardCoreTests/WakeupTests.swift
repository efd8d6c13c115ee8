import AsgardCore
import Foundation
import Testing

/// The wake-up the console's and the load balancers' loops wait on: a signal wakes a waiter (long before its limit), a
/// signal with nobody waiting is kept for the next wait, and without one a wait ends at its limit.
/// The limits are long and the bounds loose: a busy machine delays a wake-up, never prevents it.
@Suite("Wake-ups")
struct WakeupTests {
    @Test func aSignalWakesAWaiterAtOnceAndIsKeptWhenNobodyWaits() async throws {
        let wakeup = Wakeup()
        wakeup.signal()
        let kept = ContinuousClock.now
        #expect(await wakeup.wait(upTo: .seconds(600)), "answers that it was signalled")
        #expect(ContinuousClock.now - kept < .seconds(300), "a signal before the wait is not lost")

        let waiting = Task { await wakeup.wait(upTo: .seconds(600)) }
        let signalled = ContinuousClock.now
        // Whether the waiter has begun to wait or not, the signal reaches it.
        wakeup.signal()
        #expect(await waiting.value)
        #expect(ContinuousClock.now - signalled < .seconds(300))

        let started = ContinuousClock.now
        #expect(await !wakeup.wait(upTo: .milliseconds(200)), "answers that its time ran out")
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(200), "no signal: the wait lasts until its limit (\(waited))")
    }

    @Test func aCancelledWaitEnds() async throws {
        let wakeup = Wakeup()
        let waiting = Task { await wakeup.wait(upTo: .seconds(600)) }
        let started = ContinuousClock.now
        waiting.cancel()
        #expect(await !waiting.value, "a cancelled wait was not signalled")
        #expect(ContinuousClock.now - started < .seconds(300))
    }
}
