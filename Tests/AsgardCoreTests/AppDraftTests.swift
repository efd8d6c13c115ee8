import AsgardCore
import Foundation
import Testing

@Suite("Application validation")
struct AppDraftTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: [("Shop", "shop"), ("my.app_1", "my.app_1"), (String(repeating: "a", count: 28), String(repeating: "a", count: 28)),
                      ("  padded  ", "padded"), ("ABC123", "abc123")])
    func acceptsAndLowerCasesNames(_ input: String, _ stored: String) throws {
        let app = try AppDraft(name: input, owner: "team", email: "team@example.com").validatedForCreate(now: now)
        #expect(app.name.rawValue == stored)
        #expect(app.type == .webService)
        #expect(app.createTime == now)
    }

    @Test(arguments: ["", String(repeating: "a", count: 29), "my-app", "my app", "app!", "ünï", "appv001", "c0app", "a/b"])
    func refusesBadNames(_ input: String) {
        #expect(throws: ValidationFailure.self) {
            try AppDraft(name: input, owner: "team", email: "team@example.com").validatedForCreate(now: now)
        }
        do {
            _ = try AppDraft(name: input, owner: "team", email: "team@example.com").validatedForCreate(now: now)
        } catch {
            #expect(error.problems.map(\.field) == ["name"])
        }
    }

    @Test func listsEveryWrongFieldAtOnce() {
        do {
            _ = try AppDraft(name: "bad name", owner: "", email: "nope", type: "Lambda").validatedForCreate(now: now)
            Issue.record("expected a validation failure")
        } catch {
            #expect(error.problems.map(\.field) == ["name", "owner", "email", "type"])
            #expect(error.message.contains("email: 'nope' is not an email address"))
        }
    }

    @Test(arguments: ["a@b.co", "team+tag@example.com", "x.y@sub.example.org"])
    func acceptsEmailAddresses(_ email: String) throws {
        _ = try AppDraft(name: "shop", owner: "o", email: email).validatedForCreate(now: now)
    }

    @Test(arguments: ["plain", "@example.com", "a@", "a@b", "a@.com", "a@b.", "a b@c.com", "a@b@c.com", "a@b.com,c@d.com"])
    func refusesWhatIsNotAnEmailAddress(_ email: String) {
        #expect(throws: ValidationFailure.self) {
            try AppDraft(name: "shop", owner: "o", email: email).validatedForCreate(now: now)
        }
    }

    @Test func updateKeepsFieldsThatAreNotGiven() throws {
        let app = try AppDraft(name: "shop", owner: "a", email: "a@b.co", description: "d", type: "Web Application").validatedForCreate(now: now)
        let later = now.addingTimeInterval(60)
        let updated = try AppDraft(name: "shop", owner: "b").applied(to: app, now: later)
        #expect(updated.owner == "b")
        #expect(updated.email == "a@b.co")
        #expect(updated.description == "d")
        #expect(updated.type == .webApplication)
        #expect(updated.createTime == now)
        #expect(updated.updateTime == later)
        #expect(throws: ValidationFailure.self) { try AppDraft(name: "shop", email: "bad").applied(to: app, now: later) }
    }
}
