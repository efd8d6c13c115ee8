import AsgardCore
import Testing

@Suite("Ingress rules as written")
struct IngressRuleTests {
    @Test(arguments: [
        ("tcp:7001:10.0.0.0/8", "tcp", 7001, 7001, "10.0.0.0/8", nil),
        ("TCP:8080-8081:shop-web", "tcp", 8080, 8081, nil, "shop-web"),
        ("all:all:0.0.0.0/0", "-1", -1, -1, "0.0.0.0/0", nil),
        ("udp:53:203.0.113.7/32", "udp", 53, 53, "203.0.113.7/32", nil),
        ("icmp::10.1.0.0/16", "icmp", -1, -1, "10.1.0.0/16", nil),
    ] as [(String, String, Int, Int, String?, String?)])
    func aRuleIsReadIntoItsParts(text: String, proto: String, from: Int, to: Int, cidr: String?, source: String?) throws {
        let (rule, name) = try IngressRule.parse(text, field: "authorize")
        #expect(rule.ipProtocol == proto && rule.fromPort == from && rule.toPort == to && rule.cidr == cidr && name == source)
    }

    @Test(arguments: [
        ("7001", "is not a rule"), ("tcp:7001", "is not a rule"), ("tcp:7001:", "is not a rule"),
        ("http:80:10.0.0.0/8", "is not tcp, udp, icmp or all"), ("tcp:9-2:10.0.0.0/8", "is not a port or port range"),
        ("tcp:65536:10.0.0.0/8", "is not a port or port range"), ("tcp:x:10.0.0.0/8", "is not a port or port range"),
        ("tcp:80:10.0.0.0/33", "is not an IPv4 CIDR block"), ("tcp:80:10.0.0/8", "is not an IPv4 CIDR block"),
        ("tcp:80:256.0.0.0/8", "is not an IPv4 CIDR block"), ("all:80:10.0.0.0/8", "every protocol means every port"),
    ])
    func aBadRuleSaysWhatIsWrong(text: String, message: String) {
        #expect {
            try IngressRule.parse(text, field: "authorize")
        } throws: { error in
            (error as? FieldError)?.message.contains(message) == true && (error as? FieldError)?.field == "authorize"
        }
    }

    @Test func aRuleIsWrittenBackAsItWasRead() throws {
        for text in ["tcp:7001:10.0.0.0/8", "tcp:8080-8081:203.0.113.7/32", "all:all:0.0.0.0/0"] {
            #expect(try IngressRule.parse(text, field: "f").rule.text == text)
        }
    }
}
