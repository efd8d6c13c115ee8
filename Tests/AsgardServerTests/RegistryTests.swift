import AsgardCore
@testable import AsgardServer
import AsgardStore
import Foundation
import Testing

/// A lookup that reports fixed resources for one application.
struct FixedResources: ApplicationResourceLookup {
    var owned: [String: [String]]
    func resources(ownedBy app: AppName) async throws -> [String] { owned[app.rawValue] ?? [] }
}

@Suite("Application registry")
struct RegistryTests {
    @Test func deletingAnApplicationThatStillOwnsResourcesIsRefusedNamingThem() async throws {
        let dir = NSTemporaryDirectory() + "asgard-registry-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(path: dir + "/a.sqlite")
        let registry = ApplicationRegistry(
            store: store,
            resources: FixedResources(owned: ["shop": ["server group shop-v001 in local", "load balancer shop in local"]]),
            now: { Date(timeIntervalSince1970: 1_800_000_000) })
        _ = try await registry.create(AppDraft(name: "shop", owner: "o", email: "o@example.com"), user: "tester")
        _ = try await registry.create(AppDraft(name: "empty", owner: "o", email: "o@example.com"), user: "tester")

        await #expect { try await registry.delete("shop", user: "tester") } throws: { error in
            guard let error = error as? ConsoleError else { return false }
            return error.code == .conflict
                && error.message == "Application 'shop' still owns server group shop-v001 in local, load balancer shop in local; delete them first"
        }
        #expect(try await store.application(named: AppName(rawValue: "shop")) != nil)

        let task = try await registry.delete("empty", user: "tester")
        #expect(task.user == "tester")
        #expect(try await store.applications().map(\.name.rawValue) == ["shop"])
    }
}
