import Foundation

/// A value observed `count` times: a histogram bucket, or one raw sample with count 1.
public struct WeightedValue: Sendable, Hashable, Codable {
    public var value: Double
    public var count: Int

    /// Creates a weighted value.
    public init(_ value: Double, count: Int = 1) {
        self.value = value
        self.count = count
    }
}

/// The Mann-Whitney U test's confidence interval and Hodges–Lehmann estimate of the location
/// shift `experiment − control`, as R's `wilcox.test(x, y, conf.int = TRUE, exact = FALSE,
/// correct = TRUE)` and Kayenta's port compute them: normal approximation with the ties
/// correction and a continuity correction, roots found with Brent's method. Samples are
/// weighted, so a latency histogram is tested without expanding it, with the same result.
public enum MannWhitney {
    /// What the test found.
    public struct Interval: Sendable, Hashable, Codable {
        public var lower: Double
        public var upper: Double
        public var estimate: Double
    }

    /// Why the test could not run.
    public enum Failure: Error, Sendable, Hashable {
        /// A series is empty.
        case noData
        /// Every observation is the same value: nothing to rank.
        case allTied
    }

    /// The interval at `confidence` (e.g. 0.98) of the shift of `experiment` from `control`.
    ///
    /// - Throws: `Failure.noData` or `.allTied`.
    public static func interval(experiment: [WeightedValue], control: [WeightedValue], confidence: Double) throws(Failure) -> Interval {
        let x = experiment.filter { $0.count > 0 && $0.value.isFinite }
        let y = control.filter { $0.count > 0 && $0.value.isFinite }
        guard let xMin = x.map(\.value).min(), let xMax = x.map(\.value).max(),
              let yMin = y.map(\.value).min(), let yMax = y.map(\.value).max() else { throw .noData }
        let statistic = Statistic(x: x, y: y)
        guard statistic.sigma(shift: 0) > 0 else { throw .allTied }
        let low = xMin - yMax, high = xMax - yMin
        let z = NormalDistribution.quantile(1 - (1 - confidence) / 2)
        func root(_ zq: Double) -> Double {
            let f = { (d: Double) in statistic.standardized(shift: d) - zq }
            if f(low) <= 0 { return low }
            if f(high) >= 0 { return high }
            return Brent.root(f, low, high, tolerance: 1e-4)
        }
        return Interval(lower: root(z), upper: root(-z), estimate: root(0))
    }

    /// The interval for raw samples.
    public static func interval(experiment: [Double], control: [Double], confidence: Double) throws(Failure) -> Interval {
        try interval(experiment: experiment.map { WeightedValue($0) }, control: control.map { WeightedValue($0) }, confidence: confidence)
    }

    /// The rank-sum statistic of `x − shift` against `y`.
    struct Statistic {
        let x: [WeightedValue]
        let y: [WeightedValue]
        let nx: Double
        let ny: Double

        init(x: [WeightedValue], y: [WeightedValue]) {
            self.x = x
            self.y = y
            nx = Double(x.reduce(0) { $0 + $1.count })
            ny = Double(y.reduce(0) { $0 + $1.count })
        }

        /// The sum of x's average ranks in the pooled sample, and Σ(t³ − t) over tie groups.
        func ranks(shift: Double) -> (rankSum: Double, ties: Double) {
            var pooled = x.map { (value: $0.value - shift, count: Double($0.count), isX: true) }
            pooled += y.map { (value: $0.value, count: Double($0.count), isX: false) }
            pooled.sort { $0.value < $1.value }
            var rankSum = 0.0, ties = 0.0, below = 0.0
            var index = 0
            while index < pooled.count {
                var end = index
                var total = 0.0, inX = 0.0
                while end < pooled.count, pooled[end].value == pooled[index].value {
                    total += pooled[end].count
                    if pooled[end].isX { inX += pooled[end].count }
                    end += 1
                }
                let average = below + (total + 1) / 2
                rankSum += inX * average
                ties += total * total * total - total
                below += total
                index = end
            }
            return (rankSum, ties)
        }

        func sigma(shift: Double) -> Double {
            let n = nx + ny
            let ties = ranks(shift: shift).ties
            return ((nx * ny / 12) * ((n + 1) - ties / (n * (n - 1)))).squareRoot()
        }

        /// The continuity-corrected, standardized statistic; it falls as `shift` grows.
        func standardized(shift: Double) -> Double {
            let (rankSum, ties) = ranks(shift: shift)
            let n = nx + ny
            let dz = rankSum - nx * (nx + 1) / 2 - nx * ny / 2
            let correction = dz > 0 ? 0.5 : dz < 0 ? -0.5 : 0
            let sigma = ((nx * ny / 12) * ((n + 1) - ties / (n * (n - 1)))).squareRoot()
            guard sigma > 0 else { return 0 }
            return (dz - correction) / sigma
        }
    }
}

/// The standard normal distribution.
public enum NormalDistribution {
    /// P(Z ≤ z).
    public static func cdf(_ z: Double) -> Double {
        0.5 * erfc(-z / 2.0.squareRoot())
    }

    /// The z with P(Z ≤ z) = p, by Acklam's approximation refined with one Halley step
    /// (accurate to about 1e-15).
    public static func quantile(_ p: Double) -> Double {
        guard p > 0 else { return -.infinity }
        guard p < 1 else { return .infinity }
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let e = cdf(x) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }
}

/// Brent's root finder (zeroin), as R's `uniroot` uses it.
enum Brent {
    static func root(_ f: (Double) -> Double, _ lower: Double, _ upper: Double, tolerance: Double, iterations: Int = 200) -> Double {
        var a = lower, b = upper
        var fa = f(a), fb = f(b)
        var c = a, fc = fa
        var d = b - a, e = d
        for _ in 0..<iterations {
            if (fb > 0) == (fc > 0) {
                c = a; fc = fa; d = b - a; e = d
            }
            if abs(fc) < abs(fb) {
                a = b; b = c; c = a
                fa = fb; fb = fc; fc = fa
            }
            let tol = 2 * Double.ulpOfOne * abs(b) + tolerance / 2
            let m = (c - b) / 2
            if abs(m) <= tol || fb == 0 { return b }
            if abs(e) >= tol && abs(fa) > abs(fb) {
                let s = fb / fa
                var p: Double, q: Double
                if a == c {
                    p = 2 * m * s
                    q = 1 - s
                } else {
                    let qa = fa / fc, r = fb / fc
                    p = s * (2 * m * qa * (qa - r) - (b - a) * (r - 1))
                    q = (qa - 1) * (r - 1) * (s - 1)
                }
                if p > 0 { q = -q } else { p = -p }
                if 2 * p < min(3 * m * q - abs(tol * q), abs(e * q)) {
                    e = d
                    d = p / q
                } else {
                    d = m; e = m
                }
            } else {
                d = m; e = m
            }
            a = b; fa = fb
            b += abs(d) > tol ? d : (m > 0 ? tol : -tol)
            fb = f(b)
        }
        return b
    }
}
