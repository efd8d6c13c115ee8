@testable import AWSCloud
import Foundation
import Testing

@Suite("Application load balancers: names and listener answers")
struct ApplicationLoadBalancerTests {
    @Test func targetGroupNamesFitAWSsRulesAndDifferPerLoadBalancer() {
        let long = "averyveryverylongapplication-somestack-somedetail-v123"
        for (balancer, group) in [("shop-web", "shop-web-v001"), ("shop-web", long), ("b", "x_y.z-v000"), ("shop", "-")] {
            let name = AWSCloudProvider.targetGroupName(balancer: balancer, group: group)
            #expect(name.count <= 32, "\(name)")
            #expect(name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") } && !name.hasPrefix("-") && !name.hasSuffix("-"), "\(name)")
            #expect(name == AWSCloudProvider.targetGroupName(balancer: balancer, group: group), "the same pair gives the same name")
        }
        #expect(AWSCloudProvider.targetGroupName(balancer: "shop-web", group: "shop-web-v001").hasPrefix("shop-web-v001-"))
        #expect(AWSCloudProvider.targetGroupName(balancer: "shop-web", group: "shop-web-v001")
                != AWSCloudProvider.targetGroupName(balancer: "shop-api", group: "shop-web-v001"))
    }

    @Test func aWeightedListenerAndAFixedResponseAreReadAsTargetsAndNone() throws {
        let weighted = """
            <member><ListenerArn>arn:l</ListenerArn><Port>80</Port><DefaultActions><member><Type>forward</Type><ForwardConfig><TargetGroups>
            <member><TargetGroupArn>arn:a</TargetGroupArn><Weight>25</Weight></member><member><TargetGroupArn>arn:b</TargetGroupArn><Weight>75</Weight></member>
            </TargetGroups></ForwardConfig></member></DefaultActions></member>
            """
        let listener = AWSListener(try #require(XMLNode.parse(Data(weighted.utf8))))
        #expect(listener.port == 80 && listener.targets == [.init(targetGroupArn: "arn:a", weight: 25), .init(targetGroupArn: "arn:b", weight: 75)])
        let plain = "<member><Port>8080</Port><DefaultActions><member><Type>forward</Type><TargetGroupArn>arn:c</TargetGroupArn></member></DefaultActions></member>"
        #expect(AWSListener(try #require(XMLNode.parse(Data(plain.utf8)))).targets == [.init(targetGroupArn: "arn:c", weight: 1)])
        let fixed = "<member><Port>80</Port><DefaultActions><member><Type>fixed-response</Type></member></DefaultActions></member>"
        #expect(AWSListener(try #require(XMLNode.parse(Data(fixed.utf8)))).targets.isEmpty)
    }

    @Test func aListenerWithoutTargetsAnswers503AndOneWithTargetsForwardsByWeight() {
        let none = Dictionary(uniqueKeysWithValues: AWSELBv2.actions([]))
        #expect(none["DefaultActions.member.1.Type"] == "fixed-response" && none["DefaultActions.member.1.FixedResponseConfig.StatusCode"] == "503")
        let two = Dictionary(uniqueKeysWithValues: AWSELBv2.actions([.init(targetGroupArn: "arn:a", weight: 0), .init(targetGroupArn: "arn:b", weight: 100)]))
        #expect(two["DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.Weight"] == "0")
        #expect(two["DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.TargetGroupArn"] == "arn:b")
    }
}
