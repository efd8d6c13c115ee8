import AsgardCore
@testable import AsgardEngine
@testable import AsgardServer
import Foundation
import Testing

/// The pure parts of speaking Prometheus: reading a query_range answer, encoding a query for a
/// form body, the short form of a PromQL metric, and the text format's escaping.
@Suite("Prometheus queries and exposition")
struct PrometheusQueryTests {
    @Test func aRangeAnswersValuesAreReadAndNothingIsNoData() throws {
        let answer = #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"server_group":"a"},"values":[[1.5,"0.3"],[2.5,"NaN"],[3.5,"0.25"]]},{"metric":{},"values":[[1.5,"+Inf"],[2.5,"1e-3"]]}]}}"#
        #expect(try PrometheusQuerier.parse(Data(answer.utf8), query: "q").get() == [0.3, 0.25, 0.001])
        let empty = #"{"status":"success","data":{"resultType":"matrix","result":[]}}"#
        #expect(throws: QueryFailure.self) { try PrometheusQuerier.parse(Data(empty.utf8), query: "nothing_total").get() }
        if case .failure(let failure) = PrometheusQuerier.parse(Data(empty.utf8), query: "nothing_total") {
            #expect(failure.description == "query nothing_total: it returned no data")
        }
        let refused = #"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected end of input"}"#
        if case .failure(let failure) = PrometheusQuerier.parse(Data(refused.utf8), query: "sum(") {
            #expect(failure.description == "query sum(: Prometheus refused it: 1:5: parse error: unexpected end of input")
        } else {
            Issue.record("a refused query gave values")
        }
        #expect(throws: QueryFailure.self) { try PrometheusQuerier.parse(Data("<html>".utf8), query: "q").get() }
    }

    @Test func aQueryIsFormEncodedSoThatAPlusStaysAPlus() {
        // The form body Prometheus gets: what SigV4 signs too.
        #expect(PercentEncoding.unreservedOnly(#"a + b{x="y",code=~"5.."}/c"#) == "a%20%2B%20b%7Bx%3D%22y%22%2Ccode%3D~%225..%22%7D%2Fc")
        #expect(PercentEncoding.unreservedOnly("é") == "%C3%A9")
    }

    @Test func theShortFormNamesAQueryAndMustSayName() throws {
        let metric = try Console.prometheusMetric(#"errorRatio = sum(rate(x{server_group="{{serverGroup}}"}[1m]))"#)
        #expect(metric.name == "errorRatio" && metric.source == .prometheus && metric.critical && metric.mustHaveData)
        #expect(metric.filledQuery(serverGroup: "shop-prod-v002", region: "local", cluster: "shop-prod") == #"sum(rate(x{server_group="shop-prod-v002"}[1m]))"#)
        for bad in ["sum(rate(x[1m]))", "=sum(x)", "bad name=sum(x)", "name="] {
            #expect(throws: ConsoleError.self, "\(bad)") { try Console.prometheusMetric(bad) }
        }
    }

    @Test func labelValuesAreEscapedAndNumbersWrittenAsTheTextFormatReadsThem() {
        var family = MetricFamily(name: "m", kind: .gauge, help: "h", samples: [([("path", "a\"b\\c\nd")], 2), ([], 0.25)])
        family.addHistogram(labels: [("g", "x")], bounds: [0.5, 1], cumulative: [1, 3], sum: 1.75, count: 4)
        var text = ""
        family.write(into: &text)
        #expect(text == """
            # HELP m h
            # TYPE m gauge
            m{path="a\\"b\\\\c\\nd"} 2
            m 0.25
            m_bucket{g="x",le="0.5"} 1
            m_bucket{g="x",le="1"} 3
            m_bucket{g="x",le="+Inf"} 4
            m_sum{g="x"} 1.75
            m_count{g="x"} 4

            """)
    }
}
