import Foundation

/// The fields a person submits to register or update an application, before validation.
public struct AppDraft: Sendable, Hashable {
    /// Field values as submitted; nil when absent.
    public var name, owner, email, description, type: String?
    /// Where deployment events go; an empty string removes it.
    public var webhookUrl: String?

    /// Creates a draft from submitted values.
    public init(name: String? = nil, owner: String? = nil, email: String? = nil,
                description: String? = nil, type: String? = nil, webhookUrl: String? = nil) {
        self.webhookUrl = webhookUrl
        self.name = name
        self.owner = owner
        self.email = email
        self.description = description
        self.type = type
    }

    /// The longest owner, email or description accepted.
    public static let maxFieldLength = 1024

    /// Validates the draft as a new application.
    ///
    /// - Returns: the record to store, stamped with `now`.
    /// - Throws: `ValidationFailure` listing every field that is wrong.
    public func validatedForCreate(now: Date) throws(ValidationFailure) -> AppRecord {
        var problems: [FieldError] = []
        var appName: AppName?
        do { appName = try AppName(validating: name ?? "") } catch { problems.append(error) }
        let fields = validateCommonFields(owner: owner, email: email, description: description,
                                          type: type, problems: &problems)
        let webhook = validatedWebhook(webhookUrl, problems: &problems)
        guard problems.isEmpty, let appName, let fields else { throw ValidationFailure(problems) }
        return AppRecord(name: appName, owner: fields.owner, email: fields.email,
                         description: fields.description, type: fields.type,
                         createTime: now, updateTime: now, webhookUrl: webhook)
    }

    /// Applies the draft to `existing`: fields left nil keep their values; the name cannot
    /// change.
    ///
    /// - Throws: `ValidationFailure` listing every field that is wrong.
    public func applied(to existing: AppRecord, now: Date) throws(ValidationFailure) -> AppRecord {
        var problems: [FieldError] = []
        let fields = validateCommonFields(owner: owner ?? existing.owner, email: email ?? existing.email,
                                          description: description ?? existing.description,
                                          type: type ?? existing.type.rawValue, problems: &problems)
        let webhook = webhookUrl == nil ? existing.webhookUrl : validatedWebhook(webhookUrl, problems: &problems)
        guard problems.isEmpty, let fields else { throw ValidationFailure(problems) }
        var updated = existing
        updated.webhookUrl = webhook
        updated.owner = fields.owner
        updated.email = fields.email
        updated.description = fields.description
        updated.type = fields.type
        updated.updateTime = now
        return updated
    }

    /// The webhook URL, nil when empty; a problem unless it is an http or https URL.
    private func validatedWebhook(_ text: String?, problems: inout [FieldError]) -> String? {
        let url = (text ?? "").trimmingSpaces()
        guard !url.isEmpty else { return nil }
        guard url.count <= AppDraft.maxFieldLength, DeploymentNotification(webhookUrl: url).isWellFormed else {
            problems.append(FieldError(field: "webhookUrl", message: "'\(url)' must be an http:// or https:// URL, e.g. https://hooks.example.com/deploys"))
            return nil
        }
        return url
    }

    private struct CommonFields {
        var owner: String
        var email: String
        var description: String
        var type: AppType
    }

    private func validateCommonFields(owner: String?, email: String?, description: String?, type: String?,
                                      problems: inout [FieldError]) -> CommonFields? {
        let owner = (owner ?? "").trimmingSpaces()
        let email = (email ?? "").trimmingSpaces()
        let description = (description ?? "").trimmingSpaces()
        let typeText = (type ?? "").trimmingSpaces()
        let before = problems.count
        if owner.isEmpty {
            problems.append(FieldError(field: "owner", message: "is required: the team or person responsible"))
        } else if owner.count > AppDraft.maxFieldLength {
            problems.append(FieldError(field: "owner", message: "at most \(AppDraft.maxFieldLength) characters"))
        }
        if email.isEmpty {
            problems.append(FieldError(field: "email", message: "is required: where notifications go"))
        } else if !AppDraft.looksLikeEmail(email) {
            problems.append(FieldError(field: "email", message: "'\(email)' is not an email address like team@example.com"))
        }
        if description.count > AppDraft.maxFieldLength {
            problems.append(FieldError(field: "description", message: "at most \(AppDraft.maxFieldLength) characters"))
        }
        var appType = AppType.webService
        if !typeText.isEmpty {
            if let parsed = AppType(rawValue: typeText) {
                appType = parsed
            } else {
                let allowed = AppType.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
                problems.append(FieldError(field: "type", message: "'\(typeText)' is not one of \(allowed)"))
            }
        }
        guard problems.count == before else { return nil }
        return CommonFields(owner: owner, email: email, description: description, type: appType)
    }

    /// A deliberately plain check: one `@`, something before it, a dot in the domain, no spaces.
    static func looksLikeEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, s.count <= 254,
              !s.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "," }) else { return false }
        let domain = parts[1]
        return domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".")
    }
}
