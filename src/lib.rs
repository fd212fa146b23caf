//! hindsight: validates blameless post-mortems and renders them into a
//! searchable static archive. Data flows one way:
//! load → parse → validate → aggregate → render → write.

pub mod action_items;
pub mod config;
pub mod content;
pub mod dates;
pub mod draft;
pub mod export;
pub mod feeds;
pub mod finding;
pub mod front_matter;
pub mod language;
pub mod markdown;
pub mod metrics;
pub mod output;
pub mod pipeline;
pub mod post_mortem;
pub mod report;
pub mod rules;
pub mod search;
pub mod sections;
pub mod source;
pub mod theme;
pub mod timeline;
pub mod views;
