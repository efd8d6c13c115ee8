import Foundation
import GRDB
/// A failure of the store, with a code the HTTP layer maps to a status.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable {
        /// The object does not exist.
        case notFound
        /// The object exists already, or the change conflicts with the stored state.
        case conflict
        /// The database cannot be opened or used.
        case unavailable
        /// A shared database (PostgreSQL) does not answer: try again shortly.
        case databaseUnavailable
        /// This console no longer holds the task it writes to: another took it over after this
        /// one stopped renewing its lease (a fencing refusal).
        case leaseLost
    }

    /// What kind of failure.
    public var code: Code
    /// What went wrong and how to fix it.
    public var message: String
    /// The underlying error, for the log.
    public var cause: (any Error)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        cause.map { "\(message) (\($0))" } ?? message
    }
}

extension StoreError {
    /// True when `error` (or the error it wraps) says the database's disk is full: SQLite's
    /// SQLITE_FULL, or an I/O error while the disk has no room. SQLite rolls the transaction
    /// back, so nothing of the change was written.
    public static func isDiskFull(_ error: any Error) -> Bool {
        if let database = error as? DatabaseError {
            return database.resultCode == .SQLITE_FULL || (database.resultCode == .SQLITE_IOERR && database.extendedResultCode == .SQLITE_IOERR_WRITE)
        }
        if let store = error as? StoreError, let cause = store.cause { return isDiskFull(cause) }
        let posix = error as NSError
        return posix.domain == NSPOSIXErrorDomain && posix.code == Int(ENOSPC)
    }
}
