import AsgardCore

/// Stores applications. Every change is recorded together with its task, in one transaction.
public protocol ApplicationStore: Sendable {
    /// Every application, by name.
    func applications() async throws -> [AppRecord]

    /// One application, or nil when there is none by that name.
    func application(named name: AppName) async throws -> AppRecord?

    /// Registers `app` and records `task` with it.
    ///
    /// - Throws: `StoreError.conflict` when the name is taken.
    func createApplication(_ app: AppRecord, task: TaskDraft) async throws -> TaskRecord

    /// Replaces the stored application of the same name and records `task`.
    ///
    /// - Throws: `StoreError.notFound` when there is none.
    func updateApplication(_ app: AppRecord, task: TaskDraft) async throws -> TaskRecord

    /// Removes the application and records `task`.
    ///
    /// - Throws: `StoreError.notFound` when there is none.
    func deleteApplication(named name: AppName, task: TaskDraft) async throws -> TaskRecord
}
