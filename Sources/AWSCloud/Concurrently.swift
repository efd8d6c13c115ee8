/// Runs `body` on each of `items`, at most `width` at a time, and answers the results in the
/// items' order; the first error ends the rest. The region reads use it for the calls AWS makes
/// per object (a load balancer's health, a launch template's image), which the account's request
/// budget paces anyway.
func concurrently<Item: Sendable, Result: Sendable>(_ items: [Item], width: Int = 16,
                                                    _ body: @escaping @Sendable (Item) async throws -> Result) async throws -> [Result] {
    guard !items.isEmpty else { return [] }
    return try await withThrowingTaskGroup(of: (Int, Result).self) { group in
        var results = [Result?](repeating: nil, count: items.count)
        var next = 0
        func start() {
            let index = next
            let item = items[index]
            group.addTask { (index, try await body(item)) }
            next += 1
        }
        while next < min(width, items.count) { start() }
        while let (index, result) = try await group.next() {
            results[index] = result
            if next < items.count { start() }
        }
        return results.compactMap { $0 }
    }
}
