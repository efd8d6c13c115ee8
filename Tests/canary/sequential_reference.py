"""Reference values for the sequential judge's statistics, computed independently of the Swift
code: the e-values by numerical integration of the Beta mixture (scipy.integrate.quad), the
incomplete beta function by scipy.special.betainc, the confidence sequence's ends by root
finding (scipy.optimize.brentq). Prints one JSON object.

    python3 sequential_reference.py
"""
import json
import math

from scipy import integrate, optimize, special, stats

K = 100.0
CASES = [  # (canary events, total events, share)
    (0, 0, 0.05), (3, 10, 0.05), (10, 100, 0.05), (30, 300, 0.1), (55, 100, 0.5), (40, 100, 0.5),
    (210, 1000, 0.2), (12, 40, 0.05), (500, 1000, 0.5), (80, 1000, 0.05),
]


def two_sided(x, n, rho):
    a, b = K * rho, K * (1 - rho)
    y = n - x
    # ∫ θ^x (1−θ)^y Beta(θ; a, b) dθ / (ρ^x (1−ρ)^y), integrated in the log domain's scale.
    def integrand(t):
        return math.exp(x * math.log(t / rho) + y * math.log((1 - t) / (1 - rho)) + stats.beta.logpdf(t, a, b))
    value, _ = integrate.quad(integrand, 0, 1, points=[rho, x / n if n else rho], limit=200, epsabs=0, epsrel=1e-10)
    return math.log(value)


def one_sided(x, n, rho):
    a, b = K * rho, K * (1 - rho)
    y = n - x
    def integrand(t):
        return math.exp(x * math.log(t / rho) + y * math.log((1 - t) / (1 - rho)) + stats.beta.logpdf(t, a, b))
    value, _ = integrate.quad(integrand, rho, 1, points=[max(rho, x / n if n else rho)], limit=200, epsabs=0, epsrel=1e-10)
    return math.log(value / stats.beta.sf(rho, a, b))


def sequence(x, n, rho, alpha):
    a, b = K * rho, K * (1 - rho)
    y = n - x
    bound = special.betaln(a + x, b + y) - special.betaln(a, b) + math.log(alpha)
    f = lambda t: x * math.log(t) + y * math.log(1 - t) - bound
    peak = min(max(x / n, 1e-12), 1 - 1e-12)
    low = optimize.brentq(f, 1e-15, peak, xtol=1e-14) if f(1e-15) < 0 else 0.0
    high = optimize.brentq(f, peak, 1 - 1e-15, xtol=1e-14) if f(1 - 1e-15) < 0 else 1.0
    return [low, high]


out = {
    "twoSided": [[x, n, rho, two_sided(x, n, rho)] for x, n, rho in CASES],
    "oneSided": [[x, n, rho, one_sided(x, n, rho)] for x, n, rho in CASES],
    "incompleteBeta": [[xx, a, b, float(special.betainc(a, b, xx))]
                       for xx, a, b in [(0.05, 5, 95), (0.3, 2.5, 7.5), (0.5, 50, 50), (0.9, 0.5, 0.5), (0.2, 15, 85), (0.06, 13, 987)]],
    "sequence": [[x, n, rho, 0.05, *sequence(x, n, rho, 0.05)] for x, n, rho in CASES if n > 0],
}
print(json.dumps(out))
