@testable import AsgardCore
import Testing

@Suite("List queries")
struct ListQueryTests {
    /// Ten objects: app a or b by parity, clusters a-0…, states up or down.
    static let items = (0..<10).map { i in
        ListedFacts(app: i.isMultiple(of: 2) ? "a" : "b", cluster: "\(i.isMultiple(of: 2) ? "a" : "b")-\(i % 3)", state: i < 7 ? "Up" : "Down",
                    loadBalancers: i < 4 ? ["Front"] : [], words: ["item-\(i)", "10.0.0.\(i)"])
    }

    static func parse(_ fields: [String: String], defaultLimit: Int? = nil) -> (ListQuery, [FieldError]) {
        ListQuery.parse({ fields[$0] }, defaultLimit: defaultLimit)
    }

    @Test func windowsApplyAfterTheFiltersAndTheTotalCountsWhatMatched() {
        let (query, problems) = Self.parse(["app": "A", "limit": "2", "offset": "1"])
        #expect(problems.isEmpty)
        let (page, total) = query.apply(Self.items) { $0 }
        #expect(page.map(\.words[0]) == ["item-2", "item-4"] && total == 5)
        #expect(ListQuery(offset: 20).apply(Self.items) { $0 }.page.isEmpty)
        #expect(ListQuery(limit: 10_000, offset: 9).apply(Self.items) { $0 }.page.count == 1)
        #expect(Self.parse([:], defaultLimit: 100).0.limit == 100 && Self.parse([:]).0.limit == nil)
    }

    @Test func everyFilterMustMatchIgnoringCase() {
        func total(_ fields: [String: String]) -> Int { Self.parse(fields).0.apply(Self.items) { $0 }.total }
        #expect(total(["state": "down"]) == 3)
        #expect(total(["loadBalancer": "front", "app": "b"]) == 2)
        #expect(total(["cluster": "a-0"]) == 2)
        #expect(total(["q": "10.0.0.7"]) == 1 && total(["q": "ITEM"]) == 10 && total(["q": "  item-3 "]) == 1)
        #expect(total(["app": "c"]) == 0)
    }

    @Test func valuesOutOfRangeAreProblemsNamingTheField() {
        for (fields, field) in [(["limit": "0"], "limit"), (["limit": "10001"], "limit"), (["offset": "-1"], "offset"), (["offset": "99999999999999999999"], "offset"),
                                (["limit": "1e3"], "limit"), (["q": String(repeating: "x", count: 201)], "q")] {
            let (_, problems) = Self.parse(fields)
            #expect(problems.map(\.field) == [field], "\(fields)")
        }
    }
}
