/// Smooth weighted round robin (as nginx does it): over any run of `sum(weights)` picks, each
/// choice comes up exactly its weight's number of times, spread out rather than in bursts. The
/// canary needs exact shares, not random ones.
public struct WeightedRotation: Sendable, Hashable {
    private var current: [String: Int] = [:]

    /// Creates an empty rotation.
    public init() {}

    /// The next choice among `choices` (name and weight); nil when every weight is 0.
    public mutating func next(_ choices: [(name: String, weight: Int)]) -> String? {
        var total = 0
        var best: String?
        var bestValue = Int.min
        for choice in choices where choice.weight > 0 {
            let value = current[choice.name, default: 0] + choice.weight
            current[choice.name] = value
            total += choice.weight
            if value > bestValue {
                bestValue = value
                best = choice.name
            }
        }
        if let best { current[best, default: 0] -= total }
        if current.count > choices.count * 2 {
            let names = Set(choices.map(\.name))
            current = current.filter { names.contains($0.key) }
        }
        return best
    }
}
