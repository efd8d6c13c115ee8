import AsgardCore
import Foundation

extension Console {
    /// Using another application's load balancer, security group or image needs the right to
    /// deploy that application too (or admin): a deployer of `shop` alone must not put `shop`'s
    /// instances behind `cart`'s load balancer, where `cart`'s users would get `shop`'s answers.
    /// An object belongs to the application its name starts with (Frigga's `app-stack-detail`);
    /// an image to the application it packages.
    ///
    /// - Throws: `ConsoleError` 403 naming the object, its application and the role needed.
    func authorizeReferences(_ input: RouteInput, loadBalancers: [String] = [], securityGroups: [String] = [], imageId: String? = nil) async throws {
        guard let principal = input.principal, !principal.user.roles.contains(.admin) else { return }
        func require(_ what: String, _ name: String, application: String) throws {
            let app = application.lowercased()
            guard !principal.user.isAllowed(.deployApplication(AppName(rawValue: app))) else { return }
            throw ConsoleError(.forbidden, "User '\(principal.user.name)' may not use \(what) '\(InputLimits.echoed(name))' of application '\(InputLimits.echoed(app))': that needs the owner or deployer role on '\(InputLimits.echoed(app))' too, or admin")
        }
        for name in loadBalancers where !name.isEmpty {
            try require("load balancer", name, application: LoadBalancerName(rawValue: name.lowercased()).appName)
        }
        for name in securityGroups where !name.isEmpty {
            try require("security group", name, application: String(name.split(separator: "-", maxSplits: 1).first ?? Substring(name)))
        }
        if let imageId, ImageID.isWellFormed(imageId), let image = try await images.cloud.image(ImageID(rawValue: imageId)), !image.name.isEmpty {
            try require("image \(image.name) \(image.version)", imageId, application: image.name)
        }
    }
}
