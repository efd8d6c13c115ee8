/// The free-form "details" Frigga encodes as `-<key>0<value>` tokens at the end of a cluster
/// name, in the fixed order in which builders append them.
public enum LabeledVariable: String, CaseIterable, Sendable, Codable {
    case countries
    case devPhase
    case hardware
    case partners
    case revision
    case usedBy
    case redBlackSwap
    case zone

    /// The one-letter key that precedes `0` in the name (`c0northamerica`).
    public var key: Character {
        switch self {
        case .countries: "c"
        case .devPhase: "d"
        case .hardware: "h"
        case .partners: "p"
        case .revision: "r"
        case .usedBy: "u"
        case .redBlackSwap: "w"
        case .zone: "z"
        }
    }

    /// The name of the environment variable Asgard derives from it, without the prefix.
    public var environmentSuffix: String {
        switch self {
        case .countries: "COUNTRIES"
        case .devPhase: "DEV_PHASE"
        case .hardware: "HARDWARE"
        case .partners: "PARTNERS"
        case .revision: "REVISION"
        case .usedBy: "USED_BY"
        case .redBlackSwap: "RED_BLACK_SWAP"
        case .zone: "ZONE"
        }
    }

    /// The query parameter name used by `generateName` (`zoneVar` for the zone, as in Asgard).
    public var parameterName: String {
        self == .zone ? "zoneVar" : rawValue
    }
}
