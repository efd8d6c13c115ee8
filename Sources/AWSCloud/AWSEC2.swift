import AsgardCore
import Foundation

/// An AMI as EC2 describes it.
public struct AWSImage: Sendable, Hashable, Codable {
    public var imageId: String
    public var name: String
    public var state: String
    public var description: String?
    public var creationDate: Date?
    public var tags: [String: String]

    init(_ node: XMLNode) {
        imageId = node.string("imageId") ?? ""
        name = node.string("name") ?? ""
        state = node.string("imageState") ?? ""
        description = node.string("description")
        creationDate = node.string("creationDate").flatMap(AWSDate.parse)
        tags = AWSEC2.tags(node)
    }
}

/// An EC2 instance as EC2 describes it: only what the console reads, kept small (a region may
/// hold 100,000 of them).
public struct AWSInstance: Sendable, Hashable, Codable {
    public var instanceId: String
    public var imageId: String
    /// pending, running, shutting-down, terminated, stopping, stopped.
    public var state: String
    public var stateReason: String?
    public var launchTime: Date?
    public var privateIpAddress: String?
    /// The Auto Scaling group that launched it, from the tag AWS puts on it (the one tag read).
    public var autoScalingGroupName: String?

    /// The instance in `node`; strings many instances share (image, group) come from `strings`.
    init(_ node: XMLNode, strings: inout StringTable) {
        instanceId = node.string("instanceId") ?? ""
        imageId = strings.shared(node.string("imageId") ?? "")
        state = strings.shared(node.string("instanceState", "name") ?? "")
        stateReason = node.string("reason").flatMap { $0.isEmpty ? nil : strings.shared($0) }
        launchTime = node.string("launchTime").flatMap(AWSDate.parse)
        privateIpAddress = node.string("privateIpAddress")
        autoScalingGroupName = node.list("tagSet").first { $0.string("key") == Self.groupTag }.map { strings.shared($0.string("value") ?? "") }
    }

    static let groupTag = "aws:autoscaling:groupName"

    private enum CodingKeys: String, CodingKey { case instanceId, imageId, state, stateReason, launchTime, privateIpAddress, tags }

    /// Decodes what this console or an older one shared (the group in `tags`, as AWS has it).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        instanceId = try container.decode(String.self, forKey: .instanceId)
        imageId = try container.decode(String.self, forKey: .imageId)
        state = try container.decode(String.self, forKey: .state)
        stateReason = try container.decodeIfPresent(String.self, forKey: .stateReason)
        launchTime = try container.decodeIfPresent(Date.self, forKey: .launchTime)
        privateIpAddress = try container.decodeIfPresent(String.self, forKey: .privateIpAddress)
        autoScalingGroupName = try container.decodeIfPresent([String: String].self, forKey: .tags)?[Self.groupTag]
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(instanceId, forKey: .instanceId)
        try container.encode(imageId, forKey: .imageId)
        try container.encode(state, forKey: .state)
        try container.encodeIfPresent(stateReason, forKey: .stateReason)
        try container.encodeIfPresent(launchTime, forKey: .launchTime)
        try container.encodeIfPresent(privateIpAddress, forKey: .privateIpAddress)
        try container.encode(autoScalingGroupName.map { [Self.groupTag: $0] } ?? [:], forKey: .tags)
    }
}

/// Strings read many times over (an image id, a group's name, a state), kept once: equal
/// strings read from different places are separate copies until they go through `shared`.
struct StringTable {
    private var strings: Set<String> = []

    /// The one kept copy of `text`.
    mutating func shared(_ text: String) -> String {
        if let kept = strings.firstIndex(of: text) { return strings[kept] }
        strings.insert(text)
        return text
    }
}

/// The EC2 API (2016-11-15) calls the provider needs, in AWS's names.
public struct AWSEC2: Sendable {
    public let client: AWSQueryClient
    /// The most reservations per DescribeInstances page (EC2 counts pages in reservations).
    public var instancePageSize: Int

    /// Wraps a client of the `ec2` service.
    public init(client: AWSQueryClient, instancePageSize: Int = 1000) {
        self.client = client
        self.instancePageSize = instancePageSize
    }

    /// The account's own AMIs, or those named.
    public func images(ids: [String] = []) async throws -> [AWSImage] {
        let parameters = ids.isEmpty ? [("Owner.1", "self")] : Self.numbered("ImageId", ids)
        return try await client.call("DescribeImages", parameters).list("imagesSet").map(AWSImage.init)
    }

    /// Deregisters an AMI.
    public func deregisterImage(_ id: String) async throws {
        _ = try await client.call("DeregisterImage", [("ImageId", id)])
    }

    /// Instances that are not terminated (or those named, in any state), all pages.
    public func instances(ids: [String] = [], includeTerminated: Bool = false) async throws -> [AWSInstance] {
        var parameters: [(String, String)]
        if ids.isEmpty {
            parameters = [("MaxResults", String(instancePageSize))]
            if !includeTerminated {
                parameters += [("Filter.1.Name", "instance-state-name")]
                    + Self.numbered("Filter.1.Value", ["pending", "running", "shutting-down", "stopping", "stopped"])
            }
        } else {
            parameters = Self.numbered("InstanceId", ids)
        }
        var strings = StringTable()
        return try await client.pages("DescribeInstances", parameters, requestToken: "NextToken", responseToken: "nextToken") { page in
            page.list("reservationSet").flatMap { $0.list("instancesSet") }.map { AWSInstance($0, strings: &strings) }
        }
    }

    /// Ends instances.
    public func terminate(_ ids: [String]) async throws {
        _ = try await client.call("TerminateInstances", Self.numbered("InstanceId", ids))
    }

    /// Reboots instances.
    public func reboot(_ ids: [String]) async throws {
        _ = try await client.call("RebootInstances", Self.numbered("InstanceId", ids))
    }

    /// The instance's console output, decoded.
    public func consoleOutput(_ id: String) async throws -> String {
        let encoded = try await client.call("GetConsoleOutput", [("InstanceId", id)]).find("output")?.string() ?? ""
        return Data(base64Encoded: encoded, options: .ignoreUnknownCharacters).map { String(decoding: $0, as: UTF8.self) } ?? encoded
    }

    /// The region's availability zones that are available.
    public func availabilityZones() async throws -> [String] {
        try await client.call("DescribeAvailabilityZones").list("availabilityZoneInfo")
            .filter { ($0.string("zoneState") ?? "available") == "available" }
            .compactMap { $0.string("zoneName") }.sorted()
    }

    /// Every security group, all pages.
    public func securityGroups() async throws -> [SecurityGroupRecord] {
        var groups = try await client.pages("DescribeSecurityGroups", [("MaxResults", "1000")], responseToken: "nextToken")
            .flatMap { $0.list("securityGroupInfo") }
            .map { node in
                SecurityGroupRecord(groupId: node.string("groupId") ?? "", groupName: node.string("groupName") ?? "",
                                    description: node.string("groupDescription") ?? "", vpcId: node.string("vpcId"),
                                    ingress: node.list("ipPermissions").flatMap(Self.rules))
            }
        // A source group may come without its name (in a VPC AWS leaves it out): name it.
        let names = Dictionary(groups.map { ($0.groupId, $0.groupName) }, uniquingKeysWith: { a, _ in a })
        for index in groups.indices {
            for rule in groups[index].ingress.indices where groups[index].ingress[rule].sourceGroupName?.isEmpty != false {
                groups[index].ingress[rule].sourceGroupName = groups[index].ingress[rule].sourceGroupId.flatMap { names[$0] }
            }
        }
        return groups
    }

    /// One permission of EC2's as rules with one source each.
    static func rules(_ permission: XMLNode) -> [IngressRule] {
        let proto = permission.string("ipProtocol") ?? "-1"
        let from = Int(permission.string("fromPort") ?? "") ?? -1, to = Int(permission.string("toPort") ?? "") ?? -1
        let cidrs = permission.list("ipRanges").compactMap { $0.string("cidrIp") }.map {
            IngressRule(ipProtocol: proto, fromPort: from, toPort: to, cidr: $0)
        }
        let groups = permission.list("groups").compactMap { pair in pair.string("groupId").map { (pair, $0) } }.map { pair, id in
            IngressRule(ipProtocol: proto, fromPort: from, toPort: to, sourceGroupId: id, sourceGroupName: pair.string("groupName"))
        }
        return cidrs + groups
    }

    /// Creates a security group in `vpc`; answers its id.
    public func createSecurityGroup(_ name: String, description: String, vpc: String?) async throws -> String {
        var parameters = [("GroupName", name), ("GroupDescription", description)]
        if let vpc { parameters.append(("VpcId", vpc)) }
        return try await client.callOnce("CreateSecurityGroup", parameters).find("groupId")?.string() ?? ""
    }

    /// Authorizes (or revokes) ingress rules of a group.
    public func setIngress(_ groupId: String, _ rules: [IngressRule], authorized: Bool) async throws {
        guard !rules.isEmpty else { return }
        var parameters = [("GroupId", groupId)]
        for (index, rule) in rules.enumerated() {
            let prefix = "IpPermissions.\(index + 1)"
            parameters += [("\(prefix).IpProtocol", rule.ipProtocol)]
            if rule.ipProtocol != "-1" { parameters += [("\(prefix).FromPort", String(rule.fromPort)), ("\(prefix).ToPort", String(rule.toPort))] }
            if let cidr = rule.cidr { parameters.append(("\(prefix).IpRanges.1.CidrIp", cidr)) }
            if let source = rule.sourceGroupId { parameters.append(("\(prefix).Groups.1.GroupId", source)) }
        }
        _ = try await client.call(authorized ? "AuthorizeSecurityGroupIngress" : "RevokeSecurityGroupIngress", parameters)
    }

    /// Deletes a security group.
    public func deleteSecurityGroup(_ groupId: String) async throws {
        _ = try await client.call("DeleteSecurityGroup", [("GroupId", groupId)])
    }

    /// The default subnet of each zone (where the console puts application load balancers), with
    /// their VPC, by zone.
    public func defaultSubnets() async throws -> [(subnet: String, zone: String, vpc: String)] {
        try await client.call("DescribeSubnets", [("Filter.1.Name", "default-for-az"), ("Filter.1.Value.1", "true")]).list("subnetSet")
            .compactMap { node in
                guard let subnet = node.string("subnetId"), let zone = node.string("availabilityZone"), let vpc = node.string("vpcId") else { return nil }
                return (subnet, zone, vpc)
            }
            .sorted { $0.zone < $1.zone }
    }

    /// Creates a launch template whose first version runs `imageId`, in one try; the client token
    /// also lets AWS answer a repeat with the same template.
    public func createLaunchTemplate(_ name: String, imageId: String, instanceType: String, securityGroupIds: [String] = [],
                                     clientToken: String) async throws -> String {
        let parameters = [("LaunchTemplateName", name), ("ClientToken", clientToken),
                          ("LaunchTemplateData.ImageId", imageId), ("LaunchTemplateData.InstanceType", instanceType)]
            + Self.numbered("LaunchTemplateData.SecurityGroupId", securityGroupIds)
        let answer = try await client.callOnce("CreateLaunchTemplate", parameters)
        return answer.find("launchTemplateId")?.string() ?? ""
    }

    /// Adds a version of launch template `name` launching `imageId`, with all its data (moto
    /// ignores `SourceVersion`); answers its number.
    public func createLaunchTemplateVersion(_ name: String, imageId: String, instanceType: String, securityGroupIds: [String] = []) async throws -> Int {
        let parameters = [("LaunchTemplateName", name), ("LaunchTemplateData.ImageId", imageId), ("LaunchTemplateData.InstanceType", instanceType)]
            + Self.numbered("LaunchTemplateData.SecurityGroupId", securityGroupIds)
        let answer = try await client.call("CreateLaunchTemplateVersion", parameters)
        guard let number = answer.find("versionNumber")?.string().flatMap(Int.init) else {
            throw AWSError(status: 500, code: "MalformedAnswer", message: "CreateLaunchTemplateVersion answered no version number")
        }
        return number
    }

    /// The AMI of a launch template's version (`$Latest`, `$Default` or a number); nil when the
    /// template is gone.
    public func launchTemplateImage(name: String, version: String) async throws -> String? {
        do {
            let answer = try await client.call("DescribeLaunchTemplateVersions", [("LaunchTemplateName", name), ("LaunchTemplateVersion.1", version)])
            return answer.list("launchTemplateVersionSet").first?.string("launchTemplateData", "imageId")
        } catch let error as AWSError where error.code.hasPrefix("InvalidLaunchTemplateName") || error.code.hasPrefix("InvalidLaunchTemplateId") {
            return nil
        }
    }

    /// The AMI of every launch template's latest version, by template name, 200 templates a call
    /// (AWS's form without a template name): a region's first read learns its templates in a few
    /// calls instead of one per template. Nil where the endpoint refuses that form (moto): the
    /// caller then asks template by template.
    public func latestLaunchTemplateImages() async throws -> [String: (version: String, image: String)]? {
        let pages: [XMLNode]
        do {
            pages = try await client.pages("DescribeLaunchTemplateVersions", [("LaunchTemplateVersion.1", "$Latest"), ("MaxResults", "200")],
                                           responseToken: "nextToken")
        } catch let error as AWSError where (400..<500).contains(error.status) && !error.isAuthentication {
            return nil
        }
        var images: [String: (version: String, image: String)] = [:]
        for version in pages.flatMap({ $0.list("launchTemplateVersionSet") }) {
            guard let name = version.string("launchTemplateName"), let number = version.string("versionNumber"),
                  let image = version.string("launchTemplateData", "imageId") else { continue }
            images[name] = (number, image)
        }
        return images
    }

    /// Deletes a launch template; one already gone is not an error.
    public func deleteLaunchTemplate(_ name: String) async throws {
        do {
            _ = try await client.call("DeleteLaunchTemplate", [("LaunchTemplateName", name)])
        } catch let error as AWSError where error.code.hasPrefix("InvalidLaunchTemplateName") || error.code.hasPrefix("InvalidLaunchTemplateId") {
        }
    }

    /// An EC2 list: `Name.1`, `Name.2`, ….
    /// Sets tags on a resource and removes the keys of `remove`.
    public func setTags(_ resource: String, set tags: [String: String], remove: [String]) async throws {
        if !tags.isEmpty {
            _ = try await client.call("CreateTags", [("ResourceId.1", resource)] + tags.sorted { $0.key < $1.key }.enumerated().flatMap { index, tag in
                [("Tag.\(index + 1).Key", tag.key), ("Tag.\(index + 1).Value", tag.value)]
            })
        }
        if !remove.isEmpty {
            _ = try await client.call("DeleteTags", [("ResourceId.1", resource)] + Self.numbered("Tag", remove).map { ($0.0 + ".Key", $0.1) })
        }
    }

    static func numbered(_ name: String, _ values: [String]) -> [(String, String)] {
        values.enumerated().map { ("\(name).\($0.offset + 1)", $0.element) }
    }

    static func tags(_ node: XMLNode) -> [String: String] {
        Dictionary(node.list("tagSet").compactMap { tag in tag.string("key").map { ($0, tag.string("value") ?? "") } },
                   uniquingKeysWith: { first, _ in first })
    }
}

/// AWS's timestamps: ISO 8601 with or without fractional seconds.
enum AWSDate {
    static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let date = try? withFraction.parse(text) { return date }
        // moto's ELB writes microseconds and no zone sometimes; take the seconds.
        let trimmed = String(text.prefix(19)) + "Z"
        return try? Date(trimmed, strategy: .iso8601)
    }
}
