import Foundation

/// What one listed object offers the list filters: its application, cluster, state, load
/// balancers and the words free text matches.
public struct ListedFacts: Sendable, Hashable {
    public var app: String?
    public var cluster: String?
    public var state: String?
    public var loadBalancers: [String]
    /// Names, ids, addresses and images: free text matches any of them, in part, ignoring case.
    public var words: [String]

    /// Creates the facts of one object.
    public init(app: String?, cluster: String?, state: String?, loadBalancers: [String] = [], words: [String]) {
        self.app = app
        self.cluster = cluster
        self.state = state
        self.loadBalancers = loadBalancers
        self.words = words
    }
}

/// A list request's window and filters, from its query: `limit`, `offset`, `app`, `cluster`,
/// `state`, `loadBalancer` and free text `q`. Every filter given must match (case is ignored);
/// the window applies after the filters, and the total is what matched.
public struct ListQuery: Sendable, Hashable {
    public var limit: Int?
    public var offset: Int
    public var app: String?
    public var cluster: String?
    public var state: String?
    public var loadBalancer: String?
    public var text: String?

    /// At most this many objects a page.
    public static let limits = 1...10_000
    /// Offsets a list may start at.
    public static let offsets = 0...1_000_000_000

    /// A query with no window and no filter: everything.
    public init(limit: Int? = nil, offset: Int = 0, app: String? = nil, cluster: String? = nil, state: String? = nil, loadBalancer: String? = nil,
                text: String? = nil) {
        self.limit = limit
        self.offset = offset
        self.app = app
        self.cluster = cluster
        self.state = state
        self.loadBalancer = loadBalancer
        self.text = text
    }

    /// The query `field` answers (a query parameter's value, nil when absent), with every value
    /// that is out of range or too long as a problem; `defaultLimit` applies when `limit` is not
    /// given (the pages: a page of 100; the JSON: everything).
    public static func parse(_ field: (String) -> String?, defaultLimit: Int? = nil) -> (query: ListQuery, problems: [FieldError]) {
        var problems: [FieldError] = []
        func number(_ name: String, _ range: ClosedRange<Int>) -> Int? {
            guard let text = field(name), !text.isEmpty else { return nil }
            guard let value = Int(text), range.contains(value) else {
                problems.append(FieldError(field: name, message: "'\(text.prefix(40))' must be a whole number from \(range.lowerBound) to \(range.upperBound)"))
                return nil
            }
            return value
        }
        func text(_ name: String) -> String? {
            guard let value = field(name)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            guard value.count <= 200 else {
                problems.append(FieldError(field: name, message: "is \(value.count) characters long; at most 200"))
                return nil
            }
            return value.lowercased()
        }
        let query = ListQuery(limit: number("limit", limits) ?? defaultLimit, offset: number("offset", offsets) ?? 0, app: text("app"),
                              cluster: text("cluster"), state: text("state"), loadBalancer: text("loadBalancer"), text: text("q"))
        return (query, problems)
    }

    /// The filters set, by their query parameter's name, in the order they are described.
    public var filterParameters: [(name: String, value: String)] {
        [("app", app), ("cluster", cluster), ("state", state), ("loadBalancer", loadBalancer), ("q", text)].compactMap { name, value in value.map { (name, $0) } }
    }

    /// Whether any filter is set.
    public var filters: Bool { app != nil || cluster != nil || state != nil || loadBalancer != nil || text != nil }

    /// Whether `facts` pass every filter.
    public func admits(_ facts: ListedFacts) -> Bool {
        if let app, facts.app?.lowercased() != app { return false }
        if let cluster, facts.cluster?.lowercased() != cluster { return false }
        if let state, facts.state?.lowercased() != state { return false }
        if let loadBalancer, !facts.loadBalancers.contains(where: { $0.lowercased() == loadBalancer }) { return false }
        if let text, !facts.words.contains(where: { $0.lowercased().contains(text) }) { return false }
        return true
    }

    /// The objects that pass the filters, windowed, and how many passed.
    public func apply<Item>(_ items: [Item], facts: (Item) -> ListedFacts) -> (page: [Item], total: Int) {
        let matched = filters ? items.filter { admits(facts($0)) } : items
        let start = min(offset, matched.count)
        let end = limit.map { start + min($0, matched.count - start) } ?? matched.count
        return (Array(matched[start..<end]), matched.count)
    }
}
