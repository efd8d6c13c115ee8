import Foundation

/// Anytime-valid tests: each answers an e-value, a test supermartingale under its null that starts
/// at 1, so stopping at the first moment it reaches 1/α keeps the probability of a false alarm
/// under α however often one looks (Ville's inequality). Two arms share the requests: the canary
/// gets `share` of them (ρ) and the baseline the rest.
///
/// All three tests look at *events* (a request, an error, a slow request) and ask which arm each
/// came from: under the null an event is the canary's with probability ρ, whatever the traffic
/// does over time (a diurnal swing cancels out), which is the count test of Lindon & Malek
/// ("Anytime-valid inference for multinomial count data", NeurIPS 2022; Netflix's canaries).
public enum SequentialTests {
    /// ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b).
    static func logBeta(_ a: Double, _ b: Double) -> Double { lgamma(a) + lgamma(b) - lgamma(a + b) }

    /// The regularized incomplete beta function I_x(a, b), by its continued fraction (Lentz),
    /// to about 1e-12; 0 and 1 at the ends.
    public static func incompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        guard x > 0 else { return 0 }
        guard x < 1 else { return 1 }
        // The fraction converges fast for x below its mean; above, use the symmetry.
        if x > (a + 1) / (a + b + 2) { return 1 - incompleteBeta(1 - x, b, a) }
        let front = exp(a * log(x) + b * log(1 - x) - logBeta(a, b)) / a
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var f = d
        for m in 1...300 {
            let m = Double(m)
            let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + even * d
            if abs(d) < tiny { d = tiny }
            c = 1 + even / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            f *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + odd * d
            if abs(d) < tiny { d = tiny }
            c = 1 + odd / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            f *= step
            if abs(step - 1) < 1e-13 { break }
        }
        return min(1, max(0, front * f))
    }

    /// ln of the e-value against "each event is the canary's with probability `share`", after
    /// `canary` of `total` events were the canary's: the Beta(kρ, k(1−ρ)) mixture of the
    /// likelihood ratio (the two-arm Dirichlet-multinomial test; `concentration` k = 100 as in
    /// the paper). Two-sided: it grows when the canary gets too many or too few events. The
    /// sample-ratio-mismatch guard runs it on requests.
    public static func logEValue(canary: Int, total: Int, share: Double, concentration: Double = 100) -> Double {
        guard share > 0, share < 1, canary >= 0, total >= canary, concentration > 0 else { return 0 }
        let x = Double(canary), y = Double(total - canary)
        let a = concentration * share, b = concentration * (1 - share)
        return logBeta(a + x, b + y) - logBeta(a, b) - x * log(share) - y * log(1 - share)
    }

    /// ln of the one-sided e-value against "each event is the canary's with probability at most
    /// `share`" (the canary is no worse): the same mixture restricted to θ ≥ ρ. Each of its
    /// components is a supermartingale under any θ ≤ ρ, so the test stays valid for that whole
    /// (composite) null; it grows only when the canary gets more than its share of the events.
    public static func logEValueCanaryWorse(canary: Int, total: Int, share: Double, concentration: Double = 100) -> Double {
        guard share > 0, share < 1, canary >= 0, total >= canary, concentration > 0 else { return 0 }
        let x = Double(canary), y = Double(total - canary)
        let a = concentration * share, b = concentration * (1 - share)
        // ∫_ρ^1 θ^x (1−θ)^y Beta(θ; a, b) dθ / P(θ ≥ ρ), over ρ^x (1−ρ)^y.
        let posteriorTail = 1 - incompleteBeta(share, a + x, b + y), priorTail = 1 - incompleteBeta(share, a, b)
        guard posteriorTail > 0, priorTail > 0 else {
            // Far in the tails the fraction underflows: the two-sided value is then the same
            // order (the mass lies on one side), and only its sign of direction matters.
            return x / max(x + y, 1) > share ? logEValue(canary: canary, total: total, share: share, concentration: concentration) + log(2) : 0
        }
        return logBeta(a + x, b + y) - logBeta(a, b) + log(posteriorTail) - log(priorTail) - x * log(share) - y * log(1 - share)
    }

    /// The confidence sequence of θ (the probability that an event is the canary's) at level
    /// 1 − α after `canary` of `total` events: every θ whose own e-value (the same mixture,
    /// against θ) is under 1/α. Valid at every moment at once; bisection to 1e-9.
    public static func confidenceSequence(canary: Int, total: Int, share: Double, alpha: Double, concentration: Double = 100) -> ClosedRange<Double> {
        guard share > 0, share < 1, canary >= 0, total >= canary, alpha > 0, alpha < 1 else { return 0...1 }
        let x = Double(canary), y = Double(total - canary)
        let a = concentration * share, b = concentration * (1 - share)
        let bound = logBeta(a + x, b + y) - logBeta(a, b) + log(alpha)
        /// θ stays in the sequence while x ln θ + y ln(1−θ) ≥ bound.
        func inside(_ theta: Double) -> Bool { x * log(theta) + y * log(1 - theta) >= bound }
        let peak = total > 0 ? min(max(x / Double(total), 1e-12), 1 - 1e-12) : share
        guard inside(peak) else { return peak...peak }
        func edge(from inner: Double, to outer: Double) -> Double {
            var inner = inner, outer = outer
            for _ in 0..<60 {
                let middle = (inner + outer) / 2
                if inside(middle) { inner = middle } else { outer = middle }
            }
            return inner
        }
        return edge(from: peak, to: 0)...edge(from: peak, to: 1)
    }

    /// The ratio of the canary's rate of events to the baseline's that θ means when the canary
    /// gets `share` of the traffic: θ/(1−θ) · (1−ρ)/ρ.
    public static func rateRatio(theta: Double, share: Double) -> Double {
        guard theta < 1 else { return .infinity }
        return theta / (1 - theta) * (1 - share) / share
    }
}
