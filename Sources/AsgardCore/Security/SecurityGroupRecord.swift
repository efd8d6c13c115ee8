import Foundation

/// A security group: a named firewall of ingress rules that instances launch into (AWS's).
public struct SecurityGroupRecord: Sendable, Hashable, Codable {
    public var groupId: String
    public var groupName: String
    public var description: String
    public var vpcId: String?
    public var ingress: [IngressRule]

    /// Creates a record.
    public init(groupId: String, groupName: String, description: String, vpcId: String?, ingress: [IngressRule]) {
        self.groupId = groupId
        self.groupName = groupName
        self.description = description
        self.vpcId = vpcId
        self.ingress = ingress
    }
}

/// One ingress rule: a protocol and port range open to a CIDR block or to another security
/// group's members. Written `protocol:ports:source`, e.g. `tcp:7001:10.0.0.0/8`,
/// `tcp:8080-8081:shop-web`, `all:all:0.0.0.0/0`.
public struct IngressRule: Sendable, Hashable, Codable {
    /// `tcp`, `udp`, `icmp` or `-1` (every protocol).
    public var ipProtocol: String
    public var fromPort: Int
    public var toPort: Int
    public var cidr: String?
    public var sourceGroupId: String?
    public var sourceGroupName: String?

    /// Creates a rule.
    public init(ipProtocol: String, fromPort: Int, toPort: Int, cidr: String? = nil, sourceGroupId: String? = nil, sourceGroupName: String? = nil) {
        self.ipProtocol = ipProtocol
        self.fromPort = fromPort
        self.toPort = toPort
        self.cidr = cidr
        self.sourceGroupId = sourceGroupId
        self.sourceGroupName = sourceGroupName
    }

    /// The rule as written: `tcp:7001:10.0.0.0/8`.
    public var text: String {
        let proto = ipProtocol == "-1" ? "all" : ipProtocol
        let ports = ipProtocol == "-1" ? "all" : fromPort == toPort ? String(fromPort) : "\(fromPort)-\(toPort)"
        return "\(proto):\(ports):\(cidr ?? sourceGroupName ?? sourceGroupId ?? "?")"
    }

    /// A rule as written, its source still a name when it is not a CIDR block.
    ///
    /// - Throws: `FieldError` on `field`, saying what is wrong and showing the form.
    public static func parse(_ text: String, field: String) throws -> (rule: IngressRule, sourceName: String?) {
        let example = "write protocol:ports:source, e.g. tcp:7001:10.0.0.0/8, tcp:8080-8081:shop-web or all:all:0.0.0.0/0"
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, !parts[2].isEmpty else { throw FieldError(field: field, message: "'\(text)' is not a rule; \(example)") }
        let proto = parts[0].lowercased()
        guard ["tcp", "udp", "icmp", "all"].contains(proto) else {
            throw FieldError(field: field, message: "'\(parts[0])' in '\(text)' is not tcp, udp, icmp or all; \(example)")
        }
        var rule = IngressRule(ipProtocol: proto == "all" ? "-1" : proto, fromPort: -1, toPort: -1)
        if proto == "all" {
            guard parts[1] == "all" || parts[1].isEmpty else { throw FieldError(field: field, message: "'\(text)': every protocol means every port; write all:all:SOURCE") }
        } else if proto == "icmp" {
            rule.fromPort = -1
            rule.toPort = -1
        } else {
            let range = parts[1].split(separator: "-", maxSplits: 1).map { Int($0) }
            guard let low = range.first ?? nil, let high = range.count > 1 ? range[1] : low,
                  (0...65535).contains(low), (0...65535).contains(high), low <= high else {
                throw FieldError(field: field, message: "'\(parts[1])' in '\(text)' is not a port or port range from 0 to 65535, e.g. 7001 or 8080-8081")
            }
            rule.fromPort = low
            rule.toPort = high
        }
        if parts[2].contains("/") || parts[2].first?.isNumber == true {
            guard isCIDR(parts[2]) else {
                throw FieldError(field: field, message: "'\(parts[2])' in '\(text)' is not an IPv4 CIDR block such as 10.0.0.0/8 or 203.0.113.7/32")
            }
            rule.cidr = parts[2]
            return (rule, nil)
        }
        return (rule, parts[2])
    }

    /// Whether `text` is an IPv4 CIDR block: four octets and a prefix length up to 32.
    public static func isCIDR(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = Int(parts[1]), (0...32).contains(length) else { return false }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { octet in octet.count <= 3 && Int(octet).map { (0...255).contains($0) } == true }
    }
}
