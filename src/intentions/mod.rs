//! Follow-up intentions: the investment pipeline from first contact to landed project.
