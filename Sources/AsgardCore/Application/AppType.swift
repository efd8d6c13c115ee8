/// The kind of application, with Asgard's three values as stable raw values.
public enum AppType: String, CaseIterable, Sendable, Codable {
    case webService = "Web Service"
    case webApplication = "Web Application"
    case standaloneApplication = "Standalone Application"
}
