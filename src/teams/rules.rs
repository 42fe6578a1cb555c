//! Team validation: names, emails and zones.

use chrono::NaiveDateTime;

use super::model::{NewTeam, TeamPatch, TeamRow};
use crate::companies::model::name_key;
use crate::contacts::model::email;
use crate::error::Error;
use crate::time::parse_zone;
use crate::validation::Checks;

const NAME_MAX: usize = 100;
/// Where a team's zone is when nobody says: the centre's own.
pub const DEFAULT_TIMEZONE: &str = "Asia/Shanghai";

/// Validates a new team.
pub fn new_team(input: NewTeam, id: String, now: NaiveDateTime) -> Result<TeamRow, Error> {
    let mut c = Checks::default();
    let name = c.required("name", input.name, NAME_MAX);
    // An email is a coded value: blank is refused rather than read as none.
    let email = input.email.and_then(|v| c.check(email("email", &v)));
    let zone = input.timezone.unwrap_or_else(|| DEFAULT_TIMEZONE.into());
    let tz = c.check(parse_zone("timezone", zone.trim()));
    c.finish()?;
    let name = name.unwrap_or_default();
    Ok(TeamRow {
        id,
        name_key: name_key(&name),
        name,
        email,
        timezone: tz.map(|t| t.name().to_string()).unwrap_or_default(),
        created_at: now,
        updated_at: now,
        version: 1,
    })
}

/// Applies a patch to a team.
pub fn apply_patch(current: &TeamRow, p: TeamPatch, now: NaiveDateTime) -> Result<TeamRow, Error> {
    let mut c = Checks::default();
    let mut row = current.clone();
    if let Some(name) = p.name {
        row.name = c.required("name", Some(name), NAME_MAX).unwrap_or_default();
        row.name_key = name_key(&row.name);
    }
    if let Some(v) = p.email {
        row.email = v.and_then(|v| c.check(email("email", &v)));
    }
    if let Some(zone) = p.timezone {
        if let Some(tz) = c.check(parse_zone("timezone", zone.trim())) {
            row.timezone = tz.name().to_string();
        }
    }
    c.finish()?;
    row.version = current.version + 1;
    row.updated_at = now;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        crate::clock::Clock::system().now()
    }

    #[test]
    fn a_team_defaults_to_shanghai_and_folds_its_name() {
        let t = new_team(
            NewTeam {
                name: Some(" 招商四处 ".into()),
                ..Default::default()
            },
            "id".into(),
            now(),
        )
        .unwrap();
        assert_eq!((t.name.as_str(), t.timezone.as_str()), ("招商四处", "Asia/Shanghai"));
        assert_eq!(t.name_key, "招商四处");
    }

    #[test]
    fn bad_values_are_listed() {
        let e = new_team(
            NewTeam {
                name: None,
                email: Some("nope".into()),
                timezone: Some("Mars/Base".into()),
            },
            "id".into(),
            now(),
        );
        match e {
            Err(Error::Validation(v)) => {
                assert_eq!(
                    v.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
                    ["name", "email", "timezone"]
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
