//! TheHive's permission names, their scopes and the default profiles (spec §6).

use std::collections::BTreeSet;

/// Where a permission can take effect: in the `admin` organisation, in ordinary ones, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermScope {
    Admin,
    Organisation,
    Both,
}

/// Every permission TheHive 4 defines, with its scope. TheHive 5's finer `manageX/action`
/// names and unknown strings are stored as given and gate nothing here.
pub const PERMISSIONS: &[(&str, PermScope, &str)] = &[
    ("accessTheHiveFS", PermScope::Organisation, "Access to TheHiveFS"),
    ("manageAction", PermScope::Organisation, "Run Cortex responders"),
    ("manageAlert", PermScope::Organisation, "Manage alerts"),
    ("manageAnalyse", PermScope::Organisation, "Run Cortex analyzer"),
    ("manageAnalyzerTemplate", PermScope::Admin, "Manage analyzer templates"),
    ("manageCase", PermScope::Organisation, "Manage cases"),
    ("manageCaseTemplate", PermScope::Organisation, "Manage case templates"),
    ("manageConfig", PermScope::Both, "Manage configurations"),
    ("manageCustomField", PermScope::Admin, "Manage custom fields"),
    ("manageObservable", PermScope::Organisation, "Manage observables"),
    ("manageObservableTemplate", PermScope::Admin, "Manage observable types"),
    ("manageOrganisation", PermScope::Admin, "Manage organisations"),
    ("managePage", PermScope::Organisation, "Manage pages"),
    ("managePattern", PermScope::Admin, "Manage patterns"),
    ("managePlatform", PermScope::Admin, "Manage TheHive platform"),
    ("manageProcedure", PermScope::Organisation, "Manage procedures"),
    ("manageProfile", PermScope::Admin, "Manage user profiles"),
    ("manageShare", PermScope::Organisation, "Manage shares"),
    ("manageTag", PermScope::Organisation, "Manage tags"),
    ("manageTask", PermScope::Organisation, "Manage tasks"),
    ("manageTaxonomy", PermScope::Admin, "Manage taxonomies"),
    ("manageUser", PermScope::Both, "Manage users"),
];

/// Names of the permissions used in code, so a typo is a compile error.
pub mod perm {
    pub const MANAGE_ALERT: &str = "manageAlert";
    pub const MANAGE_CASE: &str = "manageCase";
    pub const MANAGE_CASE_TEMPLATE: &str = "manageCaseTemplate";
    pub const MANAGE_CUSTOM_FIELD: &str = "manageCustomField";
    pub const MANAGE_OBSERVABLE: &str = "manageObservable";
    pub const MANAGE_OBSERVABLE_TEMPLATE: &str = "manageObservableTemplate";
    pub const MANAGE_ORGANISATION: &str = "manageOrganisation";
    pub const MANAGE_PAGE: &str = "managePage";
    pub const MANAGE_PATTERN: &str = "managePattern";
    pub const MANAGE_PLATFORM: &str = "managePlatform";
    pub const MANAGE_PROCEDURE: &str = "manageProcedure";
    pub const MANAGE_PROFILE: &str = "manageProfile";
    pub const MANAGE_SHARE: &str = "manageShare";
    pub const MANAGE_TASK: &str = "manageTask";
    pub const MANAGE_USER: &str = "manageUser";
}

fn scope_of(name: &str) -> Option<PermScope> {
    PERMISSIONS.iter().find(|(n, _, _)| *n == name).map(|(_, s, _)| *s)
}

/// A profile's permissions as they apply in an organisation: admin-scope permissions only in
/// `admin`, organisation-scope ones only elsewhere. This is why an admin-organisation user
/// can never handle cases.
pub fn effective(profile_permissions: &[String], in_admin_org: bool) -> BTreeSet<String> {
    profile_permissions
        .iter()
        .filter(|p| match scope_of(p) {
            Some(PermScope::Both) => true,
            Some(PermScope::Admin) => in_admin_org,
            Some(PermScope::Organisation) => !in_admin_org,
            // Unknown (e.g. TheHive 5 `manageX/action`): kept, attached to its family's scope.
            None => match p.split('/').next().and_then(scope_of) {
                Some(PermScope::Admin) => in_admin_org,
                Some(PermScope::Organisation) => !in_admin_org,
                _ => true,
            },
        })
        .cloned()
        .collect()
}

fn names(scope: PermScope) -> Vec<String> {
    PERMISSIONS
        .iter()
        .filter(|(_, s, _)| *s == scope || *s == PermScope::Both)
        .map(|(n, _, _)| (*n).to_owned())
        .collect()
}

/// The four built-in profiles. `admin` and `org-admin` are not editable.
pub fn default_profiles() -> Vec<(&'static str, Vec<String>)> {
    let analyst = [
        "manageCase",
        "manageObservable",
        "manageAlert",
        "manageTask",
        "manageAction",
        "manageShare",
        "manageAnalyse",
        "managePage",
        "accessTheHiveFS",
        "manageProcedure",
    ];
    vec![
        ("admin", names(PermScope::Admin)),
        ("org-admin", names(PermScope::Organisation)),
        ("analyst", analyst.iter().map(|s| (*s).to_owned()).collect()),
        ("read-only", Vec::new()),
    ]
}

/// Built-in profiles whose permissions cannot change.
pub fn is_editable(profile_name: &str) -> bool {
    !matches!(profile_name, "admin" | "org-admin")
}

/// True if the profile holds an admin-only permission (TheHive's `isAdmin`).
pub fn is_admin_profile(permissions: &[String]) -> bool {
    permissions.iter().any(|p| scope_of(p) == Some(PermScope::Admin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_profiles_match_spec() {
        let profiles = default_profiles();
        let admin = &profiles[0].1;
        assert!(admin.contains(&"manageOrganisation".to_owned()));
        assert!(admin.contains(&"manageUser".to_owned()));
        assert!(!admin.contains(&"manageCase".to_owned()));
        let org_admin = &profiles[1].1;
        assert_eq!(org_admin.len(), 14);
        assert!(org_admin.contains(&"manageConfig".to_owned()));
    }

    #[test]
    fn scope_filters_permissions() {
        let perms: Vec<String> = ["manageCase", "manageUser", "manageOrganisation", "manageCase/update"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let in_admin = effective(&perms, true);
        assert!(in_admin.contains("manageOrganisation") && in_admin.contains("manageUser"));
        assert!(!in_admin.contains("manageCase") && !in_admin.contains("manageCase/update"));
        let in_org = effective(&perms, false);
        assert!(in_org.contains("manageCase") && in_org.contains("manageCase/update"));
        assert!(!in_org.contains("manageOrganisation"));
    }
}
