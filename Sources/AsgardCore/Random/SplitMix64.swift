/// A small, fast random number generator (SplitMix64) that gives the same stream for the same
/// seed: for simulations that two judges must see alike and for tests whose failing input must
/// be found again.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// Where the stream is; moves on with each number.
    public var state: UInt64

    /// A generator starting at `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next number of the stream.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
