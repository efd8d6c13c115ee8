import AsgardCore
import AsgardStore
import Foundation

/// Registers, changes and removes applications; every change is recorded as a task in the same
/// transaction.
struct ApplicationRegistry: Sendable {
    let store: any ApplicationStore
    let resources: any ApplicationResourceLookup
    let now: @Sendable () -> Date

    /// Every application, by name.
    func list() async throws -> [AppRecord] {
        try await store.applications()
    }

    /// One application by its name as typed (any case).
    ///
    /// - Throws: `ConsoleError.notFound` naming it.
    func show(_ name: String) async throws -> AppRecord {
        guard let appName = try? AppName(validating: name), let app = try await store.application(named: appName) else {
            throw ConsoleError.notFound("Application '\(name)' not found; see /application/list for the registered ones")
        }
        return app
    }

    /// Registers a new application.
    ///
    /// - Throws: `ConsoleError` for invalid fields (400) or a taken name (409).
    func create(_ draft: AppDraft, user: String) async throws -> (AppRecord, TaskRecord) {
        let time = now()
        let app: AppRecord
        do throws(ValidationFailure) { app = try draft.validatedForCreate(now: time) } catch { throw ConsoleError(error) }
        let task = TaskDraft(operation: "Create application '\(app.name)'", objectType: .application,
                             objectId: app.name.rawValue, user: user, status: .succeeded,
                             log: [TaskLogLine(time: time, message: "Creating application '\(app.name)' owned by \(app.owner) <\(app.email)>, type \(app.type.rawValue)"),
                                   TaskLogLine(time: time, message: "Created application '\(app.name)'")])
        return (app, try await store.createApplication(app, task: task))
    }

    /// Changes the fields given in `draft` of the application `draft.name`.
    ///
    /// - Throws: `ConsoleError` for invalid fields (400) or an unknown application (404).
    func update(_ draft: AppDraft, user: String) async throws -> (AppRecord, TaskRecord) {
        guard let name = draft.name, !name.isEmpty else {
            throw ConsoleError.invalid("name", "is required: the application to update")
        }
        let existing = try await show(name)
        let time = now()
        let updated: AppRecord
        do throws(ValidationFailure) { updated = try draft.applied(to: existing, now: time) } catch { throw ConsoleError(error) }
        var changes: [String] = []
        if updated.owner != existing.owner { changes.append("owner '\(existing.owner)' → '\(updated.owner)'") }
        if updated.email != existing.email { changes.append("email '\(existing.email)' → '\(updated.email)'") }
        if updated.type != existing.type { changes.append("type '\(existing.type.rawValue)' → '\(updated.type.rawValue)'") }
        if updated.description != existing.description { changes.append("description changed") }
        if updated.webhookUrl != existing.webhookUrl { changes.append(updated.webhookUrl == nil ? "webhook removed" : "webhook set") }
        let summary = changes.isEmpty ? "no field changed" : changes.joined(separator: ", ")
        let task = TaskDraft(operation: "Update application '\(existing.name)'", objectType: .application,
                             objectId: existing.name.rawValue, user: user, status: .succeeded,
                             log: [TaskLogLine(time: time, message: "Updating application '\(existing.name)': \(summary)"),
                                   TaskLogLine(time: time, message: "Updated application '\(existing.name)'")])
        return (updated, try await store.updateApplication(updated, task: task))
    }

    /// Removes an application that owns nothing any more.
    ///
    /// - Throws: `ConsoleError` for an unknown application (404) or one that still owns
    ///   resources (409, naming them).
    func delete(_ name: String, user: String) async throws -> TaskRecord {
        let app = try await show(name)
        let owned = try await resources.resources(ownedBy: app.name)
        guard owned.isEmpty else {
            throw ConsoleError(.conflict, "Application '\(app.name)' still owns \(owned.joined(separator: ", ")); delete them first")
        }
        let time = now()
        let task = TaskDraft(operation: "Delete application '\(app.name)'", objectType: .application,
                             objectId: app.name.rawValue, user: user, status: .succeeded,
                             log: [TaskLogLine(time: time, message: "Deleting application '\(app.name)'; it owns no server groups, load balancers or images"),
                                   TaskLogLine(time: time, message: "Deleted application '\(app.name)'")])
        return try await store.deleteApplication(named: app.name, task: task)
    }
}
