//! Language classifiers for the blameless-writing rules: where a sentence
//! blames a person ([`blame`]), why an action item has no checkable done
//! state ([`vagueness`]), whether a why-chain reaches a system condition
//! ([`shallowness`]), and whether a sentence makes a named person the subject
//! of a failure ([`names_as_failing`]).
//!
//! Everything here is a pure function of its text. The rules are hand-written
//! heuristics over a small tokenizer (no part-of-speech tagger, no model):
//! word lists for people, systems and judgements, a rough reading of the
//! subject noun phrase before a verb, quotation marks and rejections
//! ("this was not human error"). `tests/evaluation.rs` measures them against
//! the labeled set in `eval/`.

/// Extra phrases from site.toml; `Lexicon::default()` is the built-in one.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    /// Phrases that always count as blame (matched on whole words, in any
    /// case), unless quoted or rejected ("this was not <phrase>").
    pub extra_blame_phrases: Vec<String>,
}

/// Where a sentence blames a person, as a byte range into the text given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlameHit {
    pub start: usize,
    pub end: usize,
    /// The matched words as written.
    pub phrase: String,
    pub kind: BlameKind,
}

/// What kind of blame a [`BlameHit`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlameKind {
    /// "Human error" or "operator error" given as a cause.
    HumanError,
    /// "Should have known / checked / been more careful", "was supposed to".
    ShouldHave,
    /// Character or competence words: careless, sloppy, negligent,
    /// inexperienced, "lack of attention", "rubber-stamped".
    Carelessness,
    /// A person "failed to", "did not bother", "did nothing".
    PersonFailed,
    /// A person "forgot" or "overlooked".
    Forgot,
    /// A person ignored an alert, or did not follow the runbook or process.
    IgnoredProcess,
    /// Fault located in a person: "X's mistake", "the operator's fault",
    /// "blame lies with", "is responsible for the outage", punishment.
    Fault,
    /// One of the [`Lexicon`]'s extra phrases.
    Extra,
}

/// Why an action item has no checkable done state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Vagueness {
    /// "Improve monitoring": a vague verb (or comparative, or open-ended
    /// hedge such as "where possible") with no measure or deliverable.
    VagueVerb(String),
    /// "Be more careful": an exhortation to people.
    Exhortation,
    /// "Investigate X" with no deliverable.
    OpenInvestigation,
    /// Too short to say what will be done.
    TooShort,
}

/// Why a why-chain does not reach a system condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shallowness {
    /// No whys beyond the proximate event.
    StopsAtProximate,
    /// The deepest why (index into `whys`) is a person's act.
    StopsAtPerson { why: usize },
    /// Why `a` restates why `b` (or the proximate cause, `b = None`).
    Circular { a: usize, b: Option<usize> },
    /// The whys never name a system condition (a missing guardrail, a
    /// process gap, a design assumption).
    NoSystemCondition,
}

// ---------------------------------------------------------------------------
// Sentences
// ---------------------------------------------------------------------------

/// Splits text into sentences with their byte offsets (so findings can point
/// at them). A sentence ends at `.`, `!` or `?` followed by a space and a
/// capital, digit or quote (not after "e.g.", "vs." or an initial), at a
/// blank line, and before a list item or table row on the next line. Each
/// sentence is trimmed, and a leading list bullet is dropped.
pub fn sentences(text: &str) -> Vec<(usize, &str)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte = |k: usize| chars.get(k).map_or(text.len(), |&(b, _)| b);
    let mut out = Vec::new();
    let mut start = 0;
    let mut k = 0;
    while k < chars.len() {
        let (b, c) = chars[k];
        if c == '\n' {
            if line_break_ends_sentence(&chars, k) {
                push_sentence(&mut out, text, start, b);
                start = byte(k + 1);
            }
            k += 1;
            continue;
        }
        if !matches!(c, '.' | '!' | '?') {
            k += 1;
            continue;
        }
        let mut j = k + 1;
        while j < chars.len()
            && matches!(
                chars[j].1,
                '.' | '!' | '?' | '"' | '\'' | '\u{201d}' | '\u{2019}' | ')' | ']'
            )
        {
            j += 1;
        }
        let end = byte(j);
        let ends = match chars.get(j) {
            None => true,
            Some(&(_, next)) if next.is_whitespace() => {
                let following = chars[j..]
                    .iter()
                    .map(|&(_, c)| c)
                    .find(|c| !c.is_whitespace());
                match following {
                    None => true,
                    Some(f) => {
                        let opens = f.is_uppercase()
                            || f.is_ascii_digit()
                            || matches!(
                                f,
                                '"' | '\''
                                    | '\u{201c}'
                                    | '\u{2018}'
                                    | '('
                                    | '['
                                    | '-'
                                    | '*'
                                    | '|'
                                    | '#'
                            );
                        opens && !(c == '.' && abbreviation_before(&text[start..b]))
                    }
                }
            }
            Some(_) => false,
        };
        if ends {
            push_sentence(&mut out, text, start, end);
            start = end;
        }
        k = j;
    }
    push_sentence(&mut out, text, start, text.len());
    out
}

/// A newline ends a sentence before a blank line, a list item, a table row
/// or a heading.
fn line_break_ends_sentence(chars: &[(usize, char)], k: usize) -> bool {
    let rest: String = chars[k + 1..]
        .iter()
        .map(|&(_, c)| c)
        .skip_while(|&c| c == ' ' || c == '\t')
        .take(4)
        .collect();
    let mut it = rest.chars();
    match it.next() {
        None | Some('\n') | Some('\r') => true,
        Some('-' | '*' | '+') => it.next().is_some_and(char::is_whitespace),
        Some('|' | '#' | '>') => true,
        Some(d) if d.is_ascii_digit() => {
            let after: String = it.skip_while(char::is_ascii_digit).take(2).collect();
            after.starts_with(". ") || after.starts_with(") ")
        }
        _ => false,
    }
}

/// Whether the text before a full stop ends in an abbreviation or an initial.
fn abbreviation_before(before: &str) -> bool {
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or_default();
    let lower = word.to_lowercase();
    const ABBREVIATIONS: &[&str] = &[
        "e.g", "i.e", "vs", "mr", "mrs", "ms", "dr", "st", "no", "approx", "cf", "fig", "a.m",
        "p.m", "u.s", "incl", "est", "resp",
    ];
    ABBREVIATIONS.contains(&lower.as_str())
        || (word.chars().count() == 1 && word.chars().all(char::is_uppercase))
}

fn push_sentence<'t>(out: &mut Vec<(usize, &'t str)>, text: &'t str, from: usize, to: usize) {
    let piece = &text[from..to];
    let trimmed = piece.trim_start();
    let mut offset = from + (piece.len() - trimmed.len());
    let mut body = trimmed;
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = body.strip_prefix(bullet) {
            let rest_trimmed = rest.trim_start();
            offset += body.len() - rest_trimmed.len();
            body = rest_trimmed;
            break;
        }
    }
    let body = body.trim_end();
    if body.chars().any(char::is_alphanumeric) {
        out.push((offset, body));
    }
}

// ---------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------

/// A word or punctuation mark, with its byte range in the text.
#[derive(Debug, Clone)]
struct Tok {
    start: usize,
    end: usize,
    /// The word in lower case without a possessive `'s`, or the punctuation
    /// character. Contractions are split: "didn't" gives "did" and "not",
    /// both covering the whole written word.
    w: String,
    word: bool,
    /// Inside quotation marks.
    quoted: bool,
    /// Written with a possessive `'s` or `s'`.
    poss: bool,
    /// "Dave", "The": a capital followed by lower-case letters only.
    title: bool,
    /// Nothing but numbers, times or punctuation before it in the sentence.
    initial: bool,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}')
}

/// Byte ranges of quoted passages, quote marks included.
fn quote_spans(text: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut spans = Vec::new();
    let mut double: Option<usize> = None;
    let mut single: Option<usize> = None;
    for (k, &(b, c)) in chars.iter().enumerate() {
        let prev = if k > 0 { chars[k - 1].1 } else { ' ' };
        let next = chars.get(k + 1).map_or(' ', |x| x.1);
        match c {
            '"' => match double.take() {
                Some(open) => spans.push((open, b + 1)),
                None => double = Some(b),
            },
            '\u{201c}' => double = Some(b),
            '\u{201d}' => {
                if let Some(open) = double.take() {
                    spans.push((open, b + c.len_utf8()));
                }
            }
            '\'' | '\u{2018}' | '\u{2019}' => {
                if is_word_char(prev) && is_word_char(next) {
                    continue; // an apostrophe inside a word
                }
                let opens = (k == 0
                    || prev.is_whitespace()
                    || "([{/\u{2014}\u{2013}-\"\u{201c}".contains(prev))
                    && is_word_char(next);
                if single.is_none() && opens {
                    single = Some(b);
                } else if let Some(open) = single {
                    if (is_word_char(prev) || ".,!?".contains(prev)) && !is_word_char(next) {
                        spans.push((open, b + c.len_utf8()));
                        single = None;
                    }
                }
            }
            _ => {}
        }
    }
    spans
}

/// Words that take a contracted "is" rather than a possessive `'s`.
#[rustfmt::skip]
const CONTRACTED_IS: &[&str] = &[
    "it", "that", "there", "what", "who", "he", "she", "here", "where", "how", "this",
];

fn tokenize(text: &str) -> Vec<Tok> {
    let spans = quote_spans(text);
    let closes_quote = |after: usize| spans.iter().any(|&(_, e)| e == after);
    let quoted = |b: usize| spans.iter().any(|&(s, e)| s < b && b < e);
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let n = chars.len();
    let byte = |k: usize| if k < n { chars[k].0 } else { text.len() };
    let mut toks = Vec::new();
    let mut k = 0;
    while k < n {
        let c = chars[k].1;
        if c.is_whitespace() {
            k += 1;
            continue;
        }
        if !is_word_char(c) {
            toks.push(Tok {
                start: byte(k),
                end: byte(k + 1),
                w: c.to_string(),
                word: false,
                quoted: quoted(byte(k)),
                poss: false,
                title: false,
                initial: false,
            });
            k += 1;
            continue;
        }
        let first = k;
        let mut j = k + 1;
        while j < n {
            let cj = chars[j].1;
            if is_word_char(cj) {
                j += 1;
            } else if j + 1 < n
                && matches!(cj, '-' | '.' | '/' | '\'' | '\u{2019}' | '+')
                && is_word_char(chars[j + 1].1)
                && !(is_apostrophe(cj) && closes_quote(byte(j + 1)))
            {
                j += 2;
            } else {
                break;
            }
        }
        let mut end = byte(j);
        let mut poss = false;
        if j < n
            && is_apostrophe(chars[j].1)
            && matches!(chars[j - 1].1, 's' | 'S')
            && !closes_quote(byte(j + 1))
            && chars.get(j + 1).is_none_or(|x| !is_word_char(x.1))
        {
            poss = true;
            end = byte(j + 1);
            j += 1;
        }
        push_word(
            &mut toks,
            byte(first),
            end,
            &text[byte(first)..end],
            poss,
            quoted(byte(first)),
        );
        k = j;
    }
    mark_initial(&mut toks);
    toks
}

fn push_word(toks: &mut Vec<Tok>, start: usize, end: usize, raw: &str, poss: bool, quoted: bool) {
    let mut lower = raw.to_lowercase();
    if lower.contains(['\u{2019}', '\u{2018}']) {
        lower = lower.replace(['\u{2019}', '\u{2018}'], "'");
    }
    let title = {
        let mut cs = raw.chars();
        cs.next().is_some_and(char::is_uppercase) && {
            let rest = cs.as_str();
            !rest.is_empty() && rest.chars().all(|c| c.is_lowercase() || is_apostrophe(c))
        }
    };
    // Most words have no apostrophe: one token, the lower-case text itself
    // (tokenizing is a tenth of a build's time, mostly in allocations).
    if !lower.contains('\'') {
        toks.push(Tok {
            start,
            end,
            w: lower,
            word: true,
            quoted,
            poss,
            title,
            initial: false,
        });
        return;
    }
    let base = lower.trim_end_matches('\'');
    let mut poss = poss;
    let words: Vec<String> = if let Some(stem) = base.strip_suffix("n't") {
        let stem = match stem {
            "ca" => "can",
            "wo" => "will",
            "sha" => "shall",
            s => s,
        };
        vec![stem.into(), "not".into()]
    } else if base == "let's" {
        vec!["let".into(), "us".into()]
    } else if let Some(stem) = base.strip_suffix("'s") {
        if CONTRACTED_IS.contains(&stem) {
            vec![stem.into(), "is".into()]
        } else {
            poss = true;
            vec![stem.into()]
        }
    } else if let Some((stem, tail)) = base.split_once('\'') {
        match tail {
            "ve" => vec![stem.into(), "have".into()],
            "re" => vec![stem.into(), "are".into()],
            "ll" => vec![stem.into(), "will".into()],
            "d" => vec![stem.into(), "would".into()],
            "m" => vec![stem.into(), "am".into()],
            _ => vec![base.into()],
        }
    } else {
        vec![base.into()]
    };
    let last = words.len() - 1;
    for (idx, w) in words.into_iter().enumerate() {
        toks.push(Tok {
            start,
            end,
            w,
            word: true,
            quoted,
            poss: poss && idx == last,
            title: title && idx == 0,
            initial: false,
        });
    }
}

fn is_numberish(w: &str) -> bool {
    !w.is_empty()
        && w.chars().any(|c| c.is_ascii_digit())
        && w.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | ','))
}

fn mark_initial(toks: &mut [Tok]) {
    let mut initial = true;
    for t in toks.iter_mut() {
        if !t.word {
            if matches!(t.w.as_str(), "." | "!" | "?" | ":" | "*" | "|" | "#" | ">") {
                initial = true;
            }
            continue;
        }
        let time_like = is_numberish(&t.w) || matches!(t.w.as_str(), "utc" | "gmt" | "am" | "pm");
        t.initial = initial;
        if !time_like {
            initial = false;
        }
    }
}

fn word(toks: &[Tok], k: usize) -> &str {
    toks.get(k).filter(|t| t.word).map_or("", |t| t.w.as_str())
}

fn word_before(toks: &[Tok], i: usize, back: usize) -> &str {
    i.checked_sub(back).map_or("", |k| word(toks, k))
}

/// Whether `w`, or `w` without a plural ending, is in `list`.
fn lemma_in(w: &str, list: &[&str]) -> bool {
    list.contains(&w)
        || w.strip_suffix('s').is_some_and(|s| list.contains(&s))
        || w.strip_suffix("es").is_some_and(|s| list.contains(&s))
        || w.strip_suffix("ies")
            .is_some_and(|s| list.contains(&format!("{s}y").as_str()))
}

// ---------------------------------------------------------------------------
// Word classes and subjects
// ---------------------------------------------------------------------------

/// Nouns for people, roles and groups of people.
#[rustfmt::skip]
const PERSON_NOUNS: &[&str] = &[
    "engineer", "operator", "developer", "dev", "admin", "administrator", "sysadmin", "sre", "dba",
    "oncall", "on-call", "on-caller", "responder", "technician", "team", "staff", "person",
    "people", "employee", "member", "colleague", "contractor", "owner", "lead", "commander",
    "management", "reviewer", "approver", "author", "analyst", "architect", "programmer", "coder",
    "tester", "intern", "hire", "newcomer", "newbie", "junior", "individual", "human", "maintainer",
    "specialist", "consultant", "director", "executive", "leadership", "vp", "cto", "ceo", "cio",
    "ciso", "supervisor", "rotation", "crew", "squad", "department", "ic", "dri", "expert", "guy",
    "folk", "folks", "ops", "devops", "qa", "scribe", "facilitator", "dispatcher", "trainee",
    "apprentice", "dbre", "sysop", "coworker", "co-worker", "teammate",
];

/// Pronouns and indefinites that stand for a person.
#[rustfmt::skip]
const PERSON_PRONOUNS: &[&str] = &[
    "he", "she", "him", "her", "someone", "somebody", "anyone", "anybody", "everyone", "everybody",
    "nobody", "whoever", "i", "me", "you",
];

/// Words before "manager" that make it a person rather than a program.
#[rustfmt::skip]
const PEOPLE_MANAGERS: &[&str] = &[
    "release", "engineering", "product", "project", "incident", "program", "programme", "delivery",
    "team", "line", "account", "operations", "ops", "duty", "change", "general", "site", "the", "a",
    "an", "our", "their", "his", "her", "that", "this", "on-call", "shift",
];

/// Nouns for software, machines, artefacts and processes.
#[rustfmt::skip]
const SYSTEM_NOUNS: &[&str] = &[
    "tool", "tooling", "script", "job", "service", "check", "checker", "test", "suite", "system",
    "server", "host", "node", "cluster", "database", "db", "dashboard", "monitor", "monitoring",
    "alert", "alerting", "pipeline", "rollback", "rollout", "deploy", "deployment", "scheduler",
    "agent", "daemon", "client", "library", "lib", "api", "proxy", "cache", "queue", "worker",
    "balancer", "router", "switch", "link", "network", "disk", "backup", "replica", "primary",
    "secondary", "controller", "probe", "validator", "parser", "compiler", "build", "ci", "config",
    "configuration", "rule", "feature", "flag", "code", "function", "module", "component", "plugin",
    "app", "application", "container", "pod", "instance", "vm", "machine", "sensor", "request",
    "query", "command", "migration", "upgrade", "update", "patch", "release", "version", "watchdog",
    "automation", "bot", "cron", "timer", "certificate", "firewall", "gateway", "endpoint",
    "handler", "consumer", "producer", "broker", "partition", "shard", "leader", "follower",
    "quota", "page", "pager", "notification", "email", "mechanism", "safeguard", "guardrail",
    "logic", "algorithm", "heuristic", "framework", "platform", "infrastructure", "storage",
    "index", "subsystem", "engine", "process", "runtime", "kernel", "os", "fleet", "bug", "error",
    "failover", "election", "file", "table", "schema", "field", "value", "input", "parameter",
    "setting", "default", "limit", "metric", "log", "graph", "site", "website", "console", "ui",
    "interface", "cli", "sdk", "driver", "protocol", "connection", "socket", "thread", "loop",
    "method", "retry", "timeout", "hook", "webhook", "event", "stream", "topic", "bucket", "volume",
    "snapshot", "image", "template", "manifest", "chart", "autoscaler", "provisioner",
    "provisioning", "testing", "validation", "verification", "audit", "scanner", "linter",
    "healthcheck", "health-check", "lb", "dns", "cdn", "waf", "vpn", "traffic", "payload",
    "package", "dependency", "repository", "repo", "branch", "commit", "task", "batch", "cronjob",
    "replication", "restore", "export", "import", "sync", "ingestion", "indexer", "crawler",
    "sidecar", "mesh", "alarm", "runbook", "playbook", "doc", "documentation", "policy",
    "procedure", "checklist", "plan", "review", "pr", "change", "diff", "hardware", "software",
    "firmware", "device", "datacenter", "region", "zone", "rack", "backend", "frontend",
    "front-end", "load", "cpu", "memory", "ram", "gpu", "daemonset", "kubelet", "status",
    "monitors", "detector", "classifier", "model", "filter", "limiter", "throttle", "breaker",
    "circuit", "orchestration", "data", "dataset", "message", "mail", "resolver", "registry",
    "vault", "key", "token", "secret", "credential", "account",
];

/// Product names that look like people's names when capitalised.
#[rustfmt::skip]
const TECH_NAMES: &[&str] = &[
    "aws", "gcp", "azure", "kinesis", "cloudwatch", "cognito", "lambda", "dynamodb", "postgres",
    "postgresql", "mysql", "redis", "kafka", "zookeeper", "consul", "vault", "nomad", "terraform",
    "kubernetes", "docker", "calico", "istio", "envoy", "nginx", "haproxy", "pacemaker", "corosync",
    "orchestrator", "vitess", "cassandra", "memcached", "mongodb", "mongo", "elasticsearch",
    "opensearch", "clickhouse", "etcd", "prometheus", "grafana", "datadog", "pagerduty", "opsgenie",
    "jenkins", "github", "gitlab", "bitbucket", "sentry", "cloudflare", "fastly", "akamai", "linux",
    "windows", "ubuntu", "debian", "systemd", "autovacuum", "pgbouncer", "patroni", "rabbitmq",
    "spark", "hadoop", "airflow", "celery", "sidekiq", "rails", "django", "java", "python", "rust",
    "chrome", "firefox", "android", "slack", "jira", "confluence", "okta", "heroku", "vercel",
    "netlify", "stripe", "twilio", "sendgrid", "snowflake", "bigquery", "spanner", "firestore",
    "cosmos", "route", "bgp", "borg", "ansible", "puppet", "chef", "salt", "helm", "argo", "flux",
    "spinnaker", "buildkite", "circleci", "travis", "nagios", "zabbix", "splunk", "kibana",
    "logstash", "fluentd", "vector", "loki", "tempo", "jaeger", "zipkin", "varnish", "squid",
    "traefik", "caddy", "apache", "tomcat", "node",
];

/// Words that are capitalised without being names.
#[rustfmt::skip]
const NOT_NAMES: &[&str] = &[
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "christmas", "easter", "english", "european", "american",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A person, role or group of people.
    Person,
    /// "We", "our": the writers as a group.
    Collective,
    /// Software, machines, artefacts, processes.
    System,
    Unknown,
}

#[rustfmt::skip]
const DETERMINERS: &[&str] = &[
    "the", "a", "an", "this", "that", "these", "those", "our", "their", "his", "her", "its", "my",
    "your", "one", "some", "every", "each", "any", "all", "both", "several", "many", "few",
    "another", "either", "such", "same", "other", "whole", "entire", "two", "three", "four", "five",
    "six", "seven", "eight", "nine", "ten",
];

#[rustfmt::skip]
const PREPOSITIONS: &[&str] = &[
    "at", "on", "in", "of", "for", "with", "from", "by", "to", "during", "after", "before", "under",
    "over", "into", "onto", "across", "behind", "about", "around", "between", "through", "via",
    "within", "without", "against", "toward", "towards", "per", "near", "upon", "off", "like",
    "unlike", "despite",
];

/// Words that start a new clause.
#[rustfmt::skip]
const CLAUSE_WORDS: &[&str] = &[
    "because", "so", "and", "but", "or", "while", "when", "whenever", "after", "before", "since",
    "although", "though", "as", "if", "once", "until", "unless", "where", "whereas", "then", "why",
    "whether", "yet", "nor", "meaning", "causing", "leaving",
];

/// Auxiliaries and adverbs that can sit between a subject and its verb.
#[rustfmt::skip]
const BEFORE_VERB: &[&str] = &[
    "had", "has", "have", "was", "were", "is", "are", "been", "be", "did", "does", "do", "not",
    "also", "still", "then", "once", "again", "never", "just", "even", "already", "only", "will",
    "would", "could", "should", "might", "may", "must", "can", "shall", "later", "first",
    "ultimately", "finally", "instead", "always", "often", "sometimes", "too",
];

#[rustfmt::skip]
const MODALS: &[&str] = &[
    "must", "should", "shall", "will", "would", "can", "could", "may", "might", "need", "needs",
];

/// Verbs that end a subject noun phrase.
#[rustfmt::skip]
const VERB_WORDS: &[&str] = &[
    "ran", "made", "took", "knew", "saw", "wrote", "set", "put", "went", "got", "did", "had", "was",
    "were", "is", "are", "has", "have", "thought", "chose", "gave", "left", "kept", "let", "sent",
    "told", "began", "broke", "brought", "found", "held", "said", "spent", "stood", "understood",
    "became", "came", "caught", "lost", "meant", "paid", "sat", "felt", "built", "drove", "forgot",
    "will", "would", "should", "could", "can", "may", "might", "must", "shall", "does", "do", "be",
    "been", "run", "runs", "makes", "takes", "knows", "needs", "wants", "decided", "pushed",
    "typed",
];

/// Past-participle adjectives that do not end a noun phrase.
#[rustfmt::skip]
const ED_ADJECTIVES: &[&str] = &[
    "automated", "dedicated", "distributed", "managed", "hosted", "shared", "unattended",
    "scheduled", "related", "advanced", "experienced", "inexperienced", "authorized",
    "unauthorized", "assigned", "designated", "trusted", "tired", "qualified", "seasoned",
    "affected", "embedded", "federated", "detailed", "balanced", "limited", "unlimited", "named",
    "based", "licensed", "outdated", "deprecated", "speed", "interested", "skilled", "talented",
    "overworked", "exhausted", "stressed",
];

/// -ing words that are usually nouns inside a noun phrase.
#[rustfmt::skip]
const GERUND_NOUNS: &[&str] = &[
    "monitoring", "routing", "logging", "alerting", "testing", "caching", "staging", "scheduling",
    "provisioning", "billing", "networking", "building", "paging", "streaming", "tracing",
    "indexing", "pricing", "shipping", "ticketing", "messaging", "hosting", "processing",
    "computing", "rendering", "training", "onboarding", "warning", "setting", "morning", "evening",
    "string", "booking", "listing", "mapping", "pooling", "sharding", "balancing", "parsing",
    "peering", "polling", "queueing", "queuing", "serving", "storing", "tooling", "tracking",
    "loading", "sampling", "engineering", "nothing", "something", "anything", "everything", "ring",
    "thing", "during", "planning", "meeting", "opening", "outstanding",
];

fn is_clause_punct(w: &str) -> bool {
    matches!(
        w,
        "," | ";"
            | ":"
            | "("
            | ")"
            | "\u{2014}"
            | "\u{2013}"
            | "-"
            | "\""
            | "\u{201c}"
            | "\u{201d}"
            | "["
            | "]"
            | "?"
            | "!"
            | "."
    )
}

fn is_verb_like(t: &Tok) -> bool {
    let w = t.w.as_str();
    t.word
        && (VERB_WORDS.contains(&w)
            || (w.len() > 4
                && w.ends_with("ed")
                && !ED_ADJECTIVES.contains(&w)
                && !lemma_in(w, PERSON_NOUNS)
                && !lemma_in(w, SYSTEM_NOUNS)))
}

/// "that" after a verb starts a clause ("the cause is that Tomas ignored");
/// after a noun it is a relative pronoun ("a command that should...").
fn complementizer(toks: &[Tok], k: usize) -> bool {
    match k.checked_sub(1).map(|p| &toks[p]) {
        None => true,
        Some(p) if !p.word => true,
        Some(p) => {
            is_verb_like(p)
                || matches!(
                    p.w.as_str(),
                    "said"
                        | "says"
                        | "say"
                        | "noted"
                        | "believe"
                        | "think"
                        | "know"
                        | "means"
                        | "shows"
                        | "showed"
                        | "seems"
                        | "clear"
                        | "obvious"
                        | "true"
                        | "fact"
                        | "argued"
                        | "suggested"
                        | "concluded"
                        | "realized"
                        | "realised"
                        | "ensure"
                        | "remind"
                        | "reminded"
                        | "sure"
                        | "evident"
                )
        }
    }
}

fn is_boundary(toks: &[Tok], k: usize) -> bool {
    let t = &toks[k];
    if !t.word {
        if t.w == ":" {
            // a time such as 14:05 is not a boundary
            let digits = |j: Option<usize>| {
                j.and_then(|j| toks.get(j))
                    .is_some_and(|t| is_numberish(&t.w))
            };
            return !(digits(k.checked_sub(1)) && digits(Some(k + 1)));
        }
        return is_clause_punct(&t.w);
    }
    CLAUSE_WORDS.contains(&t.w.as_str()) || (t.w == "that" && complementizer(toks, k))
}

/// Whether the capitalised word at `i` reads as a person's name.
fn name_like(toks: &[Tok], i: usize) -> bool {
    let t = &toks[i];
    let w = t.w.as_str();
    if !t.word || !t.title || NOT_NAMES.contains(&w) || TECH_NAMES.contains(&w) {
        return false;
    }
    if !t.initial {
        return true;
    }
    // At the start of a sentence every word is capitalised: only a word
    // followed by a surname, a verb or an adverb reads as a name, and plural
    // nouns ("Alerts", "Retries") do not.
    let plural = w.ends_with('s')
        && !["ss", "us", "is", "as", "os"]
            .iter()
            .any(|e| w.ends_with(e));
    if plural || DETERMINERS.contains(&w) || PREPOSITIONS.contains(&w) || CLAUSE_WORDS.contains(&w)
    {
        return false;
    }
    match toks.get(i + 1) {
        Some(n) if n.word => {
            n.title
                || t.poss
                || is_verb_like(n)
                || BEFORE_VERB.contains(&n.w.as_str())
                || (n.w.ends_with("ly") && n.w.len() > 4)
                || matches!(
                    n.w.as_str(),
                    "failed" | "forgot" | "ignored" | "should" | "never"
                )
        }
        Some(n) => n.w == ",",
        None => false,
    }
}

fn class_of(toks: &[Tok], i: usize) -> Class {
    let t = &toks[i];
    if !t.word {
        return Class::Unknown;
    }
    let w = t.w.as_str();
    if PERSON_PRONOUNS.contains(&w) {
        return Class::Person;
    }
    if matches!(w, "we" | "us" | "our" | "ours" | "ourselves") {
        return Class::Collective;
    }
    if matches!(w, "it" | "its" | "itself") {
        return Class::System;
    }
    if matches!(w, "they" | "them" | "their") {
        let people_before = (0..i).any(|k| {
            !matches!(toks[k].w.as_str(), "they" | "them" | "their")
                && class_of(toks, k) == Class::Person
        });
        return if people_before {
            Class::Person
        } else {
            Class::Unknown
        };
    }
    if lemma_in(w, &["manager"]) {
        let prev = word_before(toks, i, 1);
        return if i == 0 || prev.is_empty() || PEOPLE_MANAGERS.contains(&prev) {
            Class::Person
        } else {
            Class::System
        };
    }
    // "the Kubernetes operator" is software; "the Kafka operator" a person.
    if lemma_in(w, &["operator"]) && matches!(word_before(toks, i, 1), "kubernetes" | "k8s") {
        return Class::System;
    }
    if lemma_in(w, PERSON_NOUNS) {
        return Class::Person;
    }
    if lemma_in(w, SYSTEM_NOUNS) || TECH_NAMES.contains(&w) {
        return Class::System;
    }
    if name_like(toks, i) {
        return Class::Person;
    }
    Class::Unknown
}

/// An -ing word that starts a modifier after a noun: "the team running the
/// script", not "the monitoring team".
fn participle_breaks(toks: &[Tok], i: usize) -> bool {
    let w = toks[i].w.as_str();
    if !(w.ends_with("ing") && w.len() > 5) {
        return false;
    }
    let next = word(toks, i + 1);
    !GERUND_NOUNS.contains(&w) || DETERMINERS.contains(&next) || is_numberish(next)
}

/// The class of the head of the noun phrase at the start of `toks[s..e]`
/// (the last word of the phrase that has a class), with its index.
fn noun_phrase(toks: &[Tok], s: usize, e: usize) -> Option<(Class, usize)> {
    let mut i = s;
    // A leading time or place: "At 23:27 UTC an engineer ...".
    if i < e && toks[i].word && PREPOSITIONS.contains(&toks[i].w.as_str()) {
        i += 1;
        while i < e && !(toks[i].word && DETERMINERS.contains(&toks[i].w.as_str())) {
            i += 1;
        }
    }
    let mut head = None;
    let mut have = false;
    while i < e {
        let t = &toks[i];
        if !t.word {
            if t.w == ":" && !is_boundary(toks, i) {
                i += 1;
                continue;
            }
            break;
        }
        let w = t.w.as_str();
        if is_numberish(w) || matches!(w, "utc" | "gmt") {
            i += 1;
            continue;
        }
        if !have && (DETERMINERS.contains(&w) || w == "no") {
            i += 1;
            continue;
        }
        if have
            && (PREPOSITIONS.contains(&w)
                || matches!(w, "who" | "whom" | "whose" | "which" | "that" | "where")
                || is_verb_like(t)
                || BEFORE_VERB.contains(&w)
                || participle_breaks(toks, i))
        {
            break;
        }
        let c = class_of(toks, i);
        if c != Class::Unknown {
            head = Some((c, i));
        }
        have = true;
        if t.poss && c != Class::Unknown {
            // "the provider's on-call engineer": keep reading to the head
        }
        i += 1;
    }
    head
}

/// The class of the subject of the verb at `v`.
fn subject(toks: &[Tok], v: usize) -> Class {
    subject_at(toks, v, 0)
}

fn subject_at(toks: &[Tok], v: usize, depth: u8) -> Class {
    let mut e = v;
    while e > 0 {
        let p = &toks[e - 1];
        let skippable = p.word
            && (BEFORE_VERB.contains(&p.w.as_str()) || (p.w.ends_with("ly") && p.w.len() > 3));
        if !skippable {
            break;
        }
        e -= 1;
    }
    if e == 0 {
        return Class::Unknown;
    }
    let p = &toks[e - 1];
    if p.word && p.w == "who" {
        return Class::Person;
    }
    if p.word && (p.w == "which" || (p.w == "that" && !complementizer(toks, e - 1))) {
        return if e >= 2 {
            class_of(toks, e - 2)
        } else {
            Class::Unknown
        };
    }
    let mut s = e;
    while s > 0 && !is_boundary(toks, s - 1) {
        s -= 1;
    }
    match noun_phrase(toks, s, e) {
        Some((c, _)) => c,
        None => {
            // "Dave, once again ignoring ...", "... knew about it and did
            // nothing": an empty clause shares the previous one's subject.
            let shares = s > 0
                && s == e
                && (toks[s - 1].w == ","
                    || matches!(toks[s - 1].w.as_str(), "and" | "or" | "but" | "then"));
            if shares && depth < 3 {
                subject_at(toks, s - 1, depth + 1)
            } else {
                Class::Unknown
            }
        }
    }
}

/// A person word (not in quotation marks) anywhere in the sentence.
fn mentions_person(toks: &[Tok]) -> bool {
    (0..toks.len()).any(|k| !toks[k].quoted && class_of(toks, k) == Class::Person)
}

/// The class of the first noun phrase within `max` words after `from`.
fn person_after(toks: &[Tok], from: usize, max: usize) -> Option<usize> {
    let mut k = from;
    while k < toks.len() && toks[k].word && DETERMINERS.contains(&toks[k].w.as_str()) {
        k += 1;
    }
    (k..(k + max).min(toks.len()))
        .take_while(|&j| toks[j].word)
        .find(|&j| class_of(toks, j) == Class::Person)
}

// ---------------------------------------------------------------------------
// Blame
// ---------------------------------------------------------------------------

#[rustfmt::skip]
const HUMAN_ERROR_HEADS: &[&str] = &[
    "human", "operator", "engineer", "engineering", "user", "pilot", "personnel", "staff",
    "developer", "individual", "admin", "administrator", "people",
];

/// Idioms that pin a failure on someone, whatever the subject.
const BLAME_IDIOMS: &[&str] = &[
    "dropped the ball",
    "asleep at the wheel",
    "asleep at the switch",
];

#[rustfmt::skip]
const CARELESS_WORDS: &[&str] = &[
    "careless", "carelessly", "carelessness", "sloppy", "sloppily", "sloppiness", "negligent",
    "negligently", "negligence", "inexperienced", "inexperience", "incompetent", "incompetence",
    "incompetently", "lazy", "laziness", "lazily", "reckless", "recklessly", "recklessness",
    "irresponsible", "irresponsibly", "inattentive", "inattention", "unprofessional", "clueless",
    "amateurish", "rubber-stamped", "rubber-stamping", "rubber-stamp", "slapdash", "cavalier",
];

/// What a person can lack: "lack of attention", "lacked the experience".
#[rustfmt::skip]
const LACKS: &[&str] = &[
    "attention", "care", "diligence", "experience", "competence", "judgement", "judgment", "rigor",
    "rigour", "focus", "skill", "skills", "professionalism", "discipline",
];

#[rustfmt::skip]
const FAULT_NOUNS: &[&str] = &[
    "mistake", "mistakes", "error", "errors", "fault", "faults", "carelessness", "negligence",
    "oversight", "oversights", "failure", "failures", "blunder", "blunders", "slip", "slip-up",
    "screw-up", "sloppiness", "inexperience", "incompetence", "laziness", "inattention",
    "misjudgment", "misjudgement", "lapse",
];

#[rustfmt::skip]
const INCIDENT_NOUNS: &[&str] = &[
    "outage", "incident", "failure", "loss", "downtime", "breach", "deletion", "crash", "mistake",
    "error", "problem", "disruption", "damage", "this", "it", "that", "degradation", "losses",
    "outages", "incidents",
];

#[rustfmt::skip]
const PROCESS_NOUNS: &[&str] = &[
    "runbook", "runbooks", "checklist", "checklists", "procedure", "procedures", "process",
    "policy", "policies", "playbook", "playbooks", "guideline", "guidelines", "protocol",
    "instructions", "sop", "sops", "window", "approval", "approvals",
];

#[rustfmt::skip]
const JUDGEMENTS: &[&str] = &[
    "unacceptable", "inexcusable", "unforgivable", "shameful", "disgraceful", "embarrassing",
];

/// Words that reject or quote a blame phrase when they come shortly before it.
#[rustfmt::skip]
const REJECTING: &[&str] = &[
    "term", "phrase", "word", "words", "label", "labels", "labelled",
    "labeled", "framing", "frame", "reject", "rejected", "rejects", "rejecting", "avoid", "avoided",
    "avoids", "avoiding", "removed", "so-called", "dismiss", "dismissed",
];

/// Whether the words shortly before `i` (in the same clause) reject what
/// follows: "not human error", "no one is to blame", "calling this human
/// error". "Must not be sloppy" is an exhortation, not a rejection.
fn negated(toks: &[Tok], i: usize) -> bool {
    let mut k = i;
    let mut seen = 0;
    while k > 0 && seen < 6 {
        k -= 1;
        let t = &toks[k];
        if !t.word {
            if is_clause_punct(&t.w)
                && !t.quoted
                && !matches!(t.w.as_str(), "\"" | "\u{201c}" | "\u{201d}")
            {
                break;
            }
            continue;
        }
        seen += 1;
        let w = t.w.as_str();
        let rejects = match w {
            "not" => !MODALS.contains(&word_before(toks, k, 1)),
            "never" | "no" | "nobody" | "none" | "neither" | "nor" | "without" | "hardly" => true,
            "rather" => word(toks, k + 1) == "than",
            "instead" => word(toks, k + 1) == "of",
            // "calling this human error", not "the SRE on call"
            "call" | "calling" | "called" => {
                matches!(
                    word(toks, k + 1),
                    "this" | "it" | "that" | "these" | "those" | "them"
                ) || toks
                    .get(k + 1)
                    .is_some_and(|t| t.quoted || matches!(t.w.as_str(), "'" | "\"" | "\u{201c}"))
            }
            _ => REJECTING.contains(&w),
        };
        if rejects {
            return true;
        }
    }
    false
}

/// Whether one of `words` appears within `n` words before `i` in its clause.
fn recent(toks: &[Tok], i: usize, n: usize, words: &[&str]) -> bool {
    let mut k = i;
    let mut seen = 0;
    while k > 0 && seen < n {
        k -= 1;
        if !toks[k].word {
            if is_clause_punct(&toks[k].w) {
                return false;
            }
            continue;
        }
        seen += 1;
        if words.contains(&toks[k].w.as_str()) {
            return true;
        }
    }
    // "Had the on-call engineer been paying attention, ...": a sentence
    // opening with "Had" is counterfactual.
    words.contains(&"had")
        && toks
            .iter()
            .find(|t| t.word)
            .is_some_and(|t| t.w == "had" && t.title)
}

/// Whether a process noun (runbook, checklist, policy...) follows within `n`
/// words of `from`, in the same clause.
fn process_noun_within(toks: &[Tok], from: usize, n: usize) -> bool {
    toks.iter()
        .skip(from)
        .take_while(|t| t.word || !is_clause_punct(&t.w))
        .filter(|t| t.word)
        .take(n)
        .any(|t| PROCESS_NOUNS.contains(&t.w.as_str()))
}

struct Hits<'a> {
    toks: &'a [Tok],
    found: Vec<(usize, usize, BlameKind)>,
}

impl Hits<'_> {
    /// Records a hit over tokens `a..=b`; a rejectable one is dropped when
    /// the words before it reject it.
    fn add(&mut self, a: usize, b: usize, kind: BlameKind, rejectable: bool) {
        if self.toks[a..=b].iter().any(|t| t.quoted) {
            return;
        }
        if rejectable && negated(self.toks, a) {
            return;
        }
        self.found.push((a, b, kind));
    }
}

/// The first place a sentence blames a person, if any. Rejections and quotes
/// ("this was not human error", "we do not attribute this to anyone", a
/// phrase in quotation marks cited to reject it) are not blame; "failed to"
/// said of a system ("the health check failed to detect") is not blame.
pub fn blame(sentence: &str, lexicon: &Lexicon) -> Option<BlameHit> {
    let toks = tokenize(sentence);
    let mut hits = Hits {
        toks: &toks,
        found: Vec::new(),
    };
    for i in 0..toks.len() {
        if toks[i].word && !toks[i].quoted {
            blame_at(&toks, i, &mut hits);
        }
    }
    // The idioms' words are found once per process, not once per sentence.
    static IDIOMS: std::sync::LazyLock<Vec<Vec<String>>> =
        std::sync::LazyLock::new(|| BLAME_IDIOMS.iter().map(|p| phrase_words(p)).collect());
    let extra: Vec<Vec<String>> = lexicon
        .extra_blame_phrases
        .iter()
        .map(|p| phrase_words(p))
        .collect();
    let idioms = IDIOMS.iter().map(|words| (words, BlameKind::Fault));
    for (words, kind) in idioms.chain(extra.iter().map(|words| (words, BlameKind::Extra))) {
        if words.is_empty() {
            continue;
        }
        for i in 0..toks.len() {
            let matched = words
                .iter()
                .enumerate()
                .all(|(d, w)| word(&toks, i + d) == w.as_str());
            if matched {
                hits.add(i, i + words.len() - 1, kind, true);
            }
        }
    }
    let found = hits.found;
    found
        .into_iter()
        .min_by_key(|&(a, b, _)| (toks[a].start, toks[b].end))
        .map(|(a, b, kind)| {
            let (start, end) = (toks[a].start, toks[b].end);
            BlameHit {
                start,
                end,
                phrase: sentence[start..end].to_string(),
                kind,
            }
        })
}

/// The words of a phrase as `tokenize` gives them.
fn phrase_words(phrase: &str) -> Vec<String> {
    tokenize(phrase)
        .into_iter()
        .filter(|t| t.word)
        .map(|t| t.w)
        .collect()
}

/// The blame patterns that start at token `i`.
fn blame_at(toks: &[Tok], i: usize, hits: &mut Hits) {
    use BlameKind::*;
    let w = toks[i].w.as_str();
    let next = word(toks, i + 1);
    let prev = word_before(toks, i, 1);
    let is_word = |k: usize| toks.get(k).is_some_and(|t| t.word);

    // "human error", "operator error" as a cause.
    if HUMAN_ERROR_HEADS.contains(&w) && matches!(next, "error" | "errors" | "mistake" | "mistakes")
    {
        hits.add(i, i + 1, HumanError, true);
    }

    // Character and competence words.
    if CARELESS_WORDS.contains(&w) {
        hits.add(i, i, Carelessness, true);
    }
    if matches!(w, "lack" | "lacked" | "lacking" | "lacks") {
        let mut j = i + 1;
        if word(toks, j) == "of" {
            j += 1;
        }
        if matches!(word(toks, j), "the" | "any" | "basic") {
            j += 1;
        }
        if LACKS.contains(&word(toks, j)) {
            hits.add(i, j, Carelessness, true);
        }
    }
    if w == "amateur" && matches!(next, "mistake" | "mistakes" | "error" | "errors" | "move") {
        hits.add(i, i + 1, Carelessness, true);
    }
    if w == "rubber" && next.starts_with("stamp") {
        hits.add(i, i + 1, Carelessness, true);
    }
    if matches!(w, "paying" | "pay" | "paid")
        && next == "attention"
        && recent(toks, i, 6, &["not", "never", "had", "if"])
    {
        hits.add(i, i + 1, Carelessness, false);
    }
    if matches!(w, "do" | "did" | "done" | "doing")
        && matches!(next, "his" | "her" | "their" | "your")
        && word(toks, i + 2) == "job"
        && recent(toks, i, 4, &["not", "never", "had", "if"])
    {
        hits.add(i, i + 2, PersonFailed, false);
    }
    if matches!(
        w,
        "carefully" | "careful" | "closely" | "thoroughly" | "attentively"
    ) && next == "enough"
        && recent(toks, i, 8, &["not", "never"])
    {
        hits.add(i, i + 1, Carelessness, false);
    }

    // "should have known", "was supposed to", "been more careful".
    if w == "should" || (w == "ought" && next == "to") {
        let mut j = i + if w == "ought" { 2 } else { 1 };
        if matches!(word(toks, j), "not" | "never") {
            j += 1;
        }
        if word(toks, j) == "have" && subject(toks, i) == Class::Person {
            let end = if is_word(j + 1) { j + 1 } else { j };
            hits.add(i, end, ShouldHave, false);
        }
    }
    if w == "more"
        && matches!(
            next,
            "careful" | "attentive" | "diligent" | "cautious" | "thorough" | "vigilant"
        )
        && matches!(prev, "been" | "be")
        && !matches!(subject(toks, i - 1), Class::System | Class::Collective)
    {
        hits.add(i - 1, i + 1, ShouldHave, false);
    }
    if w == "supposed"
        && next == "to"
        && matches!(prev, "was" | "were" | "is" | "are")
        && subject(toks, i - 1) == Class::Person
    {
        hits.add(i - 1, i + 1, ShouldHave, false);
    }

    // Fault located in a person: "the engineer's mistake", "his error".
    let possessor = (toks[i].poss
        && class_of(toks, i) == Class::Person
        && !matches!(
            w,
            "nobody" | "anyone" | "anybody" | "everyone" | "everybody"
        ))
        || matches!(w, "his" | "her")
        || (w == "their" && class_of(toks, i) == Class::Person);
    if possessor {
        for j in i + 1..(i + 4).min(toks.len()) {
            if !toks[j].word {
                break;
            }
            let noun = toks[j].w.as_str();
            if FAULT_NOUNS.contains(&noun) {
                if matches!(noun, "failure" | "failures") && word(toks, j + 1) == "to" {
                    let kind = if word(toks, j + 2) == "follow" {
                        IgnoredProcess
                    } else {
                        PersonFailed
                    };
                    hits.add(i, j + 1, kind, true);
                } else if !matches!(noun, "failure" | "failures") {
                    hits.add(i, j, Fault, true);
                }
                break;
            }
        }
    }
    // "an oversight by the release engineer", "an error by the operator".
    if FAULT_NOUNS.contains(&w) && matches!(next, "by" | "from" | "of" | "on") {
        if let Some(k) = person_after(toks, i + 2, 3) {
            hits.add(i, k, Fault, true);
        }
    }
    // "failure to follow the checklist (by the DBA)".
    if w == "failure" && next == "to" {
        let follows = word(toks, i + 2) == "follow" && process_noun_within(toks, i + 3, 5);
        let by_person = toks
            .iter()
            .enumerate()
            .skip(i + 2)
            .take_while(|(_, t)| t.word || !is_clause_punct(&t.w))
            .any(|(k, t)| t.w == "by" && person_after(toks, k + 1, 3).is_some());
        if follows || by_person {
            let kind = if word(toks, i + 2) == "follow" {
                IgnoredProcess
            } else {
                PersonFailed
            };
            hits.add(i, i + 2, kind, true);
        }
    }
    // "made a mistake", "made a bad call".
    if matches!(w, "made" | "make" | "makes" | "making") {
        let mut j = i + 1;
        if matches!(
            word(toks, j),
            "a" | "an" | "the" | "another" | "several" | "some" | "one"
        ) {
            j += 1;
        }
        let adjective = word(toks, j);
        let judged = matches!(
            adjective,
            "bad"
                | "poor"
                | "wrong"
                | "terrible"
                | "careless"
                | "reckless"
                | "questionable"
                | "sloppy"
                | "stupid"
                | "silly"
        );
        if judged {
            j += 1;
        }
        let noun = word(toks, j);
        let fault = matches!(
            noun,
            "mistake" | "mistakes" | "error" | "errors" | "blunder" | "blunders"
        ) || (judged
            && matches!(
                noun,
                "call" | "decision" | "choice" | "judgement" | "judgment"
            ));
        if fault && subject(toks, i) == Class::Person {
            hits.add(i, j, Fault, false);
        }
    }
    // "that engineer is responsible for the outage".
    if w == "responsible" && next == "for" {
        let copula = (1..=2)
            .map(|d| word_before(toks, i, d))
            .position(|x| matches!(x, "is" | "was" | "are" | "were" | "be" | "been"));
        let about_incident =
            (i + 2..(i + 7).min(toks.len())).any(|k| INCIDENT_NOUNS.contains(&word(toks, k)));
        if let Some(d) = copula {
            let c = i - d - 1;
            if about_incident && subject(toks, c) == Class::Person {
                hits.add(c, i + 1, Fault, true);
            }
        }
    }
    // "blame lies with", "is to blame", "at fault".
    if w == "blame" {
        if matches!(
            next,
            "lies"
                | "lay"
                | "rests"
                | "rested"
                | "falls"
                | "fell"
                | "sits"
                | "belongs"
                | "goes"
                | "went"
                | "is"
                | "was"
        ) && matches!(word(toks, i + 2), "with" | "on" | "to")
        {
            hits.add(i, i + 2, Fault, true);
        }
        if prev == "to"
            && matches!(word_before(toks, i, 2), "is" | "are" | "was" | "were")
            && i >= 2
        {
            let c = subject(toks, i - 2);
            if !matches!(c, Class::System | Class::Collective) {
                hits.add(i - 2, i, Fault, true);
            }
        }
    }
    if w == "fault" && prev == "at" && i >= 2 && subject(toks, i - 2) == Class::Person {
        hits.add(i - 1, i, Fault, true);
    }
    // "the outage is on the platform team".
    if INCIDENT_NOUNS.contains(&w) && matches!(next, "is" | "was") && word(toks, i + 2) == "on" {
        if let Some(k) = person_after(toks, i + 3, 3) {
            hits.add(i, k, Fault, true);
        }
    }
    // "..., which is unacceptable" about people.
    if JUDGEMENTS.contains(&w) && mentions_person(toks) {
        hits.add(i, i, Fault, true);
    }
    // Punishment as the fix.
    if w == "performance"
        && (next == "plan" || (next == "improvement" && word(toks, i + 2) == "plan"))
    {
        hits.add(i, if next == "plan" { i + 1 } else { i + 2 }, Fault, false);
    }
    if matches!(
        w,
        "disciplinary" | "disciplined" | "reprimand" | "reprimanded"
    ) {
        hits.add(i, i, Fault, false);
    }
    if w == "written" && next == "warning" {
        hits.add(i, i + 1, Fault, false);
    }
    if matches!(w, "taken" | "take" | "took" | "taking")
        && next == "action"
        && matches!(word(toks, i + 2), "with" | "against")
    {
        hits.add(i, i + 2, Fault, false);
    }
    if matches!(w, "retrain" | "re-train" | "punish" | "re-educate") {
        if let Some(k) = person_after(toks, i + 1, 3) {
            hits.add(i, k, Fault, false);
        }
    }
    if w == "mistakenly" && subject(toks, i) == Class::Person {
        hits.add(i, i, Fault, false);
    }
    // Insinuation: "decided, for reasons we do not understand, to ...".
    if w == "for" && next == "reasons" && mentions_person(toks) {
        let puzzled = (i + 2..(i + 9).min(toks.len())).any(|k| {
            matches!(
                word(toks, k),
                "understand" | "know" | "explain" | "comprehend"
            )
        });
        if puzzled {
            hits.add(i, i + 1, Fault, false);
        }
    }
    // "... off at lunch instead of watching".
    if w == "instead"
        && next == "of"
        && matches!(
            word(toks, i + 2),
            "watching"
                | "monitoring"
                | "paying"
                | "doing"
                | "checking"
                | "working"
                | "looking"
                | "responding"
                | "reading"
                | "focusing"
        )
        && subject(toks, i) == Class::Person
    {
        hits.add(i, i + 2, Carelessness, false);
    }

    // A person "failed to", "did not bother", "did nothing".
    if matches!(w, "failed" | "fail" | "fails" | "failing")
        && next == "to"
        && subject(toks, i) == Class::Person
    {
        let kind = if word(toks, i + 2) == "follow" {
            IgnoredProcess
        } else {
            PersonFailed
        };
        let end = if is_word(i + 2) { i + 2 } else { i + 1 };
        hits.add(i, end, kind, false);
    }
    if matches!(w, "bother" | "bothered" | "bothering") && (next == "to" || prev == "not") {
        let start = if prev == "not"
            && matches!(word_before(toks, i, 2), "did" | "do" | "does" | "could")
        {
            i - 2
        } else if prev == "not" {
            i - 1
        } else {
            i
        };
        hits.add(start, i, PersonFailed, false);
    }
    if matches!(w, "neglected" | "neglect" | "neglects") && subject(toks, i) == Class::Person {
        hits.add(i, i + 1, PersonFailed, false);
    }
    if w == "did" && next == "nothing" && subject(toks, i) == Class::Person {
        hits.add(i, i + 1, PersonFailed, false);
    }

    // A person forgot or overlooked.
    if matches!(
        w,
        "forgot" | "forget" | "forgets" | "forgotten" | "forgetting"
    ) && subject(toks, i) == Class::Person
    {
        hits.add(i, if next == "to" { i + 1 } else { i }, Forgot, false);
    }
    if w == "overlooked" {
        let passive = matches!(prev, "was" | "were" | "been" | "be" | "is" | "are");
        if !passive && subject(toks, i) == Class::Person {
            hits.add(i, i, Forgot, false);
        } else if next == "by" {
            if let Some(k) = person_after(toks, i + 2, 3) {
                hits.add(i, k, Forgot, false);
            }
        }
    }

    // A person ignored an alert, or did not follow the runbook.
    if matches!(w, "ignored" | "ignoring" | "ignores" | "ignore") {
        let c = subject(toks, i);
        if c == Class::Person
            || (!matches!(c, Class::System | Class::Collective)
                && process_noun_within(toks, i + 1, 4))
        {
            hits.add(i, i, IgnoredProcess, false);
        }
    }
    if matches!(w, "follow" | "followed" | "following")
        && matches!(prev, "not" | "never")
        && process_noun_within(toks, i + 1, 5)
        && !matches!(subject(toks, i), Class::System | Class::Collective)
    {
        let start = if prev == "not"
            && matches!(
                word_before(toks, i, 2),
                "did" | "do" | "does" | "was" | "were"
            ) {
            i - 2
        } else {
            i - 1
        };
        hits.add(start, i, IgnoredProcess, false);
    }
    if matches!(
        w,
        "skipped" | "skipping" | "bypassed" | "bypassing" | "circumvented"
    ) && process_noun_within(toks, i + 1, 4)
        && subject(toks, i) == Class::Person
    {
        hits.add(i, i, IgnoredProcess, false);
    }
}

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

/// Verbs of failure a named subject can take.
#[rustfmt::skip]
const FAILING_VERBS: &[&str] = &[
    "forgot", "forget", "forgets", "failed", "fails", "neglected", "ignored", "ignores", "ignoring",
    "overlooked", "missed", "broke", "breaks", "caused", "causes", "botched", "messed", "screwed",
    "skipped", "bypassed", "mistyped", "fat-fingered", "carelessly", "mistakenly", "accidentally",
    "wrongly", "crashed", "deleted", "dropped", "corrupted", "wiped", "misconfigured", "introduced",
    "triggered", "blundered",
];

/// After "did not": what a person failed to do.
#[rustfmt::skip]
const NEGLECTED_ACTS: &[&str] = &[
    "follow", "check", "test", "verify", "read", "notice", "bother", "escalate", "tell", "run",
    "update", "wait", "review", "confirm", "double-check", "look", "ask", "warn", "respond",
];

/// Whether `sentence` makes `name` the subject of a failure ("Priya forgot
/// to...", "Dave's change broke...", "the outage was caused by Sam"), and
/// where the name is.
pub fn names_as_failing(sentence: &str, name: &str) -> Option<(usize, usize)> {
    let name_words: Vec<String> = tokenize(name)
        .into_iter()
        .filter(|t| t.word)
        .map(|t| t.w)
        .collect();
    if name_words.is_empty() {
        return None;
    }
    let toks = tokenize(sentence);
    let m = name_words.len();
    for i in 0..toks.len() {
        let matched = (0..m).all(|d| {
            toks.get(i + d)
                .is_some_and(|t| t.word && !t.quoted && t.w == name_words[d])
        });
        if !matched || negated(&toks, i) {
            continue;
        }
        let last = i + m - 1;
        let span = (toks[i].start, name_end(sentence, &toks[last]));
        if toks[last].poss {
            // "Dave's change broke ...", "Sam's mistake".
            let fails = toks
                .iter()
                .skip(last + 1)
                .take_while(|t| t.word)
                .take(5)
                .any(|t| {
                    FAULT_NOUNS.contains(&t.w.as_str())
                        || FAILING_VERBS.contains(&t.w.as_str())
                        || CARELESS_WORDS.contains(&t.w.as_str())
                        || matches!(t.w.as_str(), "took" | "brought" | "broken")
                });
            if fails {
                return Some(span);
            }
            continue;
        }
        // The name as subject: skip a surname and adverbs.
        let mut j = last + 1;
        while toks.get(j).is_some_and(|t| {
            t.word
                && (t.title
                    || (t.w.ends_with("ly") && !FAILING_VERBS.contains(&t.w.as_str()))
                    || matches!(
                        t.w.as_str(),
                        "also" | "then" | "once" | "again" | "just" | "had" | "has" | "have"
                    ))
        }) {
            j += 1;
        }
        if toks.get(j).is_some_and(|t| t.w == ",") {
            // "Dave, once again ignoring the checklist, ..."
            j += 1;
            while toks.get(j).is_some_and(|t| {
                t.word
                    && matches!(
                        t.w.as_str(),
                        "once" | "again" | "also" | "then" | "who" | "having"
                    )
            }) {
                j += 1;
            }
        }
        let v = word(&toks, j);
        let as_subject = i == 0
            || is_boundary(&toks, i - 1)
            || toks[i].initial
            || DETERMINERS.contains(&word(&toks, i - 1));
        let failing = FAILING_VERBS.contains(&v)
            || CARELESS_WORDS.contains(&v)
            || (matches!(v, "did" | "does" | "do" | "was" | "is")
                && word(&toks, j + 1) == "not"
                && NEGLECTED_ACTS.contains(&word(&toks, j + 2)))
            || (matches!(v, "did" | "do" | "does") && word(&toks, j + 1) == "nothing")
            || (v == "should" && matches!(word(&toks, j + 1), "have" | "not" | "never"))
            || (matches!(v, "made" | "makes")
                && matches!(word(&toks, j + 2), "mistake" | "error" | "blunder"))
            || (matches!(v, "took" | "brought") && word(&toks, j + 1) == "down")
            || (matches!(v, "was" | "is")
                && matches!(
                    word(&toks, j + 1),
                    "responsible" | "careless" | "negligent" | "sloppy" | "to"
                ));
        if failing && as_subject {
            return Some(span);
        }
        // "caused by Sam", "because of Sam", "blame lies with Sam".
        let mut b = i;
        while b > 0 && DETERMINERS.contains(&word(&toks, b - 1)) {
            b -= 1;
        }
        let p1 = word_before(&toks, b, 1);
        let p2 = word_before(&toks, b, 2);
        let agent = (p1 == "by"
            && (matches!(
                p2,
                "caused" | "triggered" | "broken" | "started" | "made" | "introduced"
            ) || FAULT_NOUNS.contains(&p2)))
            || (p1 == "of" && matches!(p2, "because" | "fault"))
            || (p1 == "to" && p2 == "due")
            || (p1 == "on" && matches!(p2, "blamed" | "is" | "was"))
            || (p1 == "with" && matches!(p2, "lies" | "rests"));
        if agent {
            return Some(span);
        }
    }
    None
}

/// Where the name itself ends in a token that may carry a possessive.
fn name_end(sentence: &str, t: &Tok) -> usize {
    if !t.poss {
        return t.end;
    }
    let text = &sentence[t.start..t.end];
    let cut = text
        .char_indices()
        .rev()
        .find(|&(_, c)| is_apostrophe(c))
        .map_or(text.len(), |(k, _)| k);
    t.start + cut
}

// ---------------------------------------------------------------------------
// Vagueness
// ---------------------------------------------------------------------------

/// Verbs that say a direction, not a result.
#[rustfmt::skip]
const VAGUE_VERBS: &[&str] = &[
    "improve", "enhance", "harden", "strengthen", "optimize", "optimise", "ensure", "make sure",
    "revisit", "rethink", "reconsider", "review", "consider", "evaluate", "assess", "address",
    "invest in", "invest", "prioritize", "prioritise", "work with", "work on", "educate", "train",
    "teach", "coach", "remind", "encourage", "modernize", "modernise", "streamline", "refine",
    "bolster", "boost", "mature", "formalize", "formalise", "socialize", "socialise", "align",
    "rework", "tackle", "clean up", "tidy up", "stabilize", "stabilise", "speed up", "simplify",
    "standardize", "standardise", "communicate", "coordinate", "collaborate", "prepare", "support",
    "manage", "monitor", "reduce", "increase", "minimize", "minimise", "maximize", "maximise",
    "decouple", "restrict", "limit", "mitigate", "resolve", "deal with", "handle", "follow up",
    "step up", "beef up", "shore up", "tighten", "tighten up", "raise awareness", "promote",
    "foster", "embrace", "continue", "expand", "grow", "scale", "level up", "reinforce", "look at",
    "discuss", "audit", "think about", "keep an eye on", "focus on",
];

/// Verbs that open an investigation.
#[rustfmt::skip]
const INVESTIGATE_VERBS: &[&str] = &[
    "investigate", "look into", "explore", "research", "study", "dig into", "examine", "analyse",
    "analyze", "figure out", "understand", "determine", "root-cause", "triage", "find out",
    "identify", "compare",
];

/// Verbs whose object is a thing anyone can check for.
#[rustfmt::skip]
const CONCRETE_VERBS: &[&str] = &[
    "add", "remove", "delete", "require", "block", "set", "migrate", "move", "enable", "disable",
    "rewrite", "write", "create", "replace", "revoke", "rotate", "upgrade", "configure",
    "implement", "publish", "post", "file", "record", "document", "automate", "attach", "link",
    "page", "alert", "send", "email", "notify", "run", "rehearse", "reproduce", "fix", "restore",
    "build", "test", "verify", "cap", "raise", "lower", "switch", "split", "reject", "drop",
    "archive", "schedule", "list", "tag", "label", "mark", "assign", "deploy", "ship", "merge",
    "pin", "practise", "practice", "shadow", "complete", "subscribe", "host", "select", "filter",
    "compute", "change", "apply", "give", "deliver", "open", "close", "introduce", "install",
    "retire", "deprecate", "decommission", "backfill", "patch", "share", "present", "report",
    "submit", "produce", "draft", "circulate", "decide", "choose", "pick", "propose", "sign",
    "measure", "benchmark", "stage", "gate", "enforce", "validate", "delete", "publish", "track",
    "make", "have", "get", "let", "keep", "cover", "rate-limit", "turn", "roll", "stop", "start",
    "convert", "rename", "return", "store", "encrypt", "expire", "alias", "shard", "partition",
    "hire", "buy", "order", "contact",
];

/// Words of attitude: "Be more careful", "Take alerts more seriously".
#[rustfmt::skip]
const EXHORT_LEADS: &[&str] = &[
    "be", "stay", "remain", "remember", "always", "never", "try", "strive", "pay", "care", "think",
    "respect", "adhere", "comply", "obey", "follow", "avoid", "double-check",
];

#[rustfmt::skip]
const EXHORT_WORDS: &[&str] = &[
    "careful", "carefully", "cautious", "cautiously", "seriously", "vigilant", "diligent",
    "diligently", "mindful", "attentive",
];

#[rustfmt::skip]
const SCOPE_HEDGES: &[&str] = &[
    "where possible", "where appropriate", "where needed", "where necessary", "where feasible",
    "where practical", "wherever possible", "as needed", "as appropriate", "as necessary",
    "if possible", "when possible", "if needed", "as much as possible", "to the extent possible",
    "when appropriate", "if appropriate", "and so on", "etc",
];

#[rustfmt::skip]
const FUTURE_HEDGES: &[&str] = &[
    "in future", "in the future", "going forward", "from now on", "next time", "moving forward",
];

#[rustfmt::skip]
const COMPARATIVES: &[&str] = &[
    "better", "safer", "faster", "easier", "stronger", "simpler", "clearer", "quicker", "smarter",
    "tighter", "cleaner", "healthier", "sturdier", "sooner", "more", "less", "fewer", "greater",
];

#[rustfmt::skip]
const UNITS: &[&str] = &[
    "%", "ms", "millisecond", "milliseconds", "s", "sec", "secs", "second", "seconds", "minute",
    "minutes", "min", "mins", "hour", "hours", "hr", "hrs", "h", "day", "days", "week", "weeks",
    "month", "months", "gb", "mb", "kb", "tb", "pb", "x", "times", "rps", "qps", "percent", "per",
    "gib", "mib", "ns", "us", "µs", "k", "m",
];

#[rustfmt::skip]
const COMPARATORS: &[&str] = &[
    "under", "below", "above", "over", "exceeds", "exceed", "exceeding", "least", "most", "than",
    "max", "maximum", "minimum", "min", "beyond", ">", "<", "≥", "≤", "past", "to", "within", "at",
];

#[rustfmt::skip]
const CADENCES: &[&str] = &[
    "daily", "weekly", "monthly", "quarterly", "hourly", "nightly", "annually", "yearly",
    "fortnightly", "biweekly",
];

#[rustfmt::skip]
const THRESHOLD_VERBS: &[&str] = &[
    "exceeds", "exceed", "exceeding", "above", "below", "drops", "falls", "rises", "over", "under",
    "more", "less", "fails", "fail", "stops", "stop", "differs", "missing", "older", "newer",
    "stale", "reaches", "crosses", "hits", "points", "is", "are",
];

#[rustfmt::skip]
const ARTIFACT_WORDS: &[&str] = &[
    "written", "write-up", "writeup", "report", "decision", "rfc", "adr", "proposal",
    "recommendation", "explanation", "summary", "findings", "analysis", "postmortem", "root",
    "reproduction",
];

#[rustfmt::skip]
const PLACE_WORDS: &[&str] = &[
    "ticket", "epic", "issue", "jira", "repo", "repository", "wiki", "catalog", "catalogue",
    "runbook", "tracker", "doc", "document", "channel", "page",
];

/// A date such as 2017-06-30.
fn is_date(w: &str) -> bool {
    let parts: Vec<&str> = w.split('-').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// A ticket id such as OPS-412.
fn is_ticket(w: &str) -> bool {
    w.split_once('-').is_some_and(|(a, b)| {
        !a.is_empty()
            && a.chars().all(|c| c.is_ascii_alphabetic())
            && !b.is_empty()
            && b.chars().all(|c| c.is_ascii_digit())
    })
}

/// A number with a unit in one word: "3x", "500ms", "30-minute", "p99".
fn is_measure_word(w: &str) -> bool {
    let digits = w
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .count();
    if digits == 0 {
        return w.len() > 1 && w.starts_with('p') && w[1..].chars().all(|c| c.is_ascii_digit());
    }
    let unit = w[digits..].trim_start_matches('-');
    !unit.is_empty() && (UNITS.contains(&unit) || lemma_in(unit, UNITS))
}

fn is_number(w: &str) -> bool {
    is_numberish(w) && !is_date(w)
        || matches!(
            w,
            "one"
                | "two"
                | "three"
                | "four"
                | "five"
                | "six"
                | "seven"
                | "eight"
                | "nine"
                | "ten"
                | "twice"
                | "half"
        )
}

/// Numbers with units, thresholds, targets "from N to M", cadences, and
/// alert conditions ("when X exceeds ..."). Deadlines do not count.
fn has_measure(t: &[&str]) -> bool {
    let at = |k: usize| t.get(k).copied().unwrap_or("");
    for (k, &w) in t.iter().enumerate() {
        if is_measure_word(w) || CADENCES.contains(&w) {
            return true;
        }
        if w == "every"
            && lemma_in(
                at(k + 1),
                &[
                    "day", "week", "month", "quarter", "year", "hour", "minute", "sprint",
                    "release", "deploy", "night",
                ],
            )
        {
            return true;
        }
        if matches!(w, "when" | "if" | "whenever")
            && t[k + 1..]
                .iter()
                .take(12)
                .any(|x| THRESHOLD_VERBS.contains(x) && *x != "is" && *x != "are")
        {
            return true;
        }
        if is_number(w) && !is_date(w) {
            let prev = if k > 0 { t[k - 1] } else { "" };
            let next = at(k + 1);
            let deadline = matches!(prev, "within" | "in" | "by")
                && lemma_in(next, &["day", "week", "month", "quarter", "year"]);
            if deadline {
                continue;
            }
            if UNITS.contains(&next) || lemma_in(next, UNITS) || COMPARATORS.contains(&prev) {
                return true;
            }
            if prev == "from" && t[k + 1..].contains(&"to") {
                return true;
            }
        }
    }
    false
}

/// An artefact (written root cause, decision record) with a place or date.
fn has_artifact(t: &[&str]) -> bool {
    let artifact = t.iter().any(|w| ARTIFACT_WORDS.contains(w));
    let place = t.iter().enumerate().any(|(k, w)| {
        is_ticket(w)
            || (is_date(w) && k > 0 && t[k - 1] == "by")
            || (PLACE_WORDS.contains(w)
                && t[..k]
                    .iter()
                    .rev()
                    .take(4)
                    .any(|x| matches!(*x, "in" | "to" | "on" | "into")))
    });
    artifact && place
}

/// Joined words with spaces around, for phrase lookups.
fn joined(t: &[&str]) -> String {
    format!(" {} ", t.join(" "))
}

fn contains_phrase(text: &str, phrase: &str) -> bool {
    text.contains(&format!(" {phrase} "))
}

/// The leading verb (or phrasal verb) of an item, and how many words it has.
fn lead_verb(t: &[&str]) -> (String, usize) {
    let first = t.first().copied().unwrap_or("");
    let second = t.get(1).copied().unwrap_or("");
    let two = format!("{first} {second}");
    let phrasal = VAGUE_VERBS.contains(&two.as_str()) || INVESTIGATE_VERBS.contains(&two.as_str());
    if phrasal {
        return (two, 2);
    }
    if first == "double" && second == "check" {
        return ("double-check".into(), 2);
    }
    (first.to_string(), 1)
}

/// A comparative in the main clause with nothing to measure it by: "Make
/// deploys safer", "Write better runbooks", "Add more validation".
fn comparative(t: &[&str]) -> Option<String> {
    let stop = |w: &str| {
        matches!(
            w,
            "," | ";"
                | "so"
                | "because"
                | "which"
                | "that"
                | "who"
                | "whose"
                | "where"
                | "when"
                | "if"
                | "unless"
                | "until"
                | "while"
                | "before"
                | "after"
        )
    };
    for (k, &w) in t.iter().enumerate() {
        if stop(w) {
            break;
        }
        if !COMPARATIVES.contains(&w) {
            continue;
        }
        let next = t.get(k + 1).copied().unwrap_or("");
        let prev = if k > 0 { t[k - 1] } else { "" };
        if matches!(w, "more" | "less" | "fewer" | "greater")
            && (next == "than" || is_number(next) || matches!(prev, "no" | "any" | "at" | "or"))
        {
            continue;
        }
        return Some(
            if matches!(w, "more" | "less") && !next.is_empty() && !stop(next) {
                format!("{w} {next}")
            } else {
                w.to_string()
            },
        );
    }
    None
}

/// A second clause that commits to a concrete result: "Investigate X and
/// post a written root cause in OPS-412".
fn has_deliverable_clause(t: &[&str]) -> bool {
    t.iter().enumerate().any(|(k, &w)| {
        if !matches!(w, "and" | ";" | "then") || k == 0 {
            return false;
        }
        let mut j = k + 1;
        if t.get(j) == Some(&"then") {
            j += 1;
        }
        let rest = &t[j.min(t.len())..];
        let verb = rest.first().copied().unwrap_or("");
        CONCRETE_VERBS.contains(&verb)
            && rest
                .iter()
                .filter(|w| w.chars().any(char::is_alphanumeric))
                .count()
                >= 3
            && comparative(rest).is_none()
    })
}

/// Why an action item has no checkable done state, if it has none.
pub fn vagueness(action: &str) -> Option<Vagueness> {
    let toks = tokenize(action);
    let all: Vec<&str> = toks.iter().map(|t| t.w.as_str()).collect();
    // Skip list numbering and filler: "1.", "We will", "Need to", a to-do marker.
    let mut s = 0;
    while s < all.len() {
        let w = all[s];
        let filler = !toks[s].word
            || is_numberish(w)
            || matches!(
                w,
                "please"
                    | "we"
                    | "will"
                    | "should"
                    | "must"
                    | "shall"
                    | "need"
                    | "needs"
                    | "to"
                    | "todo"
                    | "action"
                    | "ai"
                    | "us"
                    | "also"
            )
            || (w == "let" && all.get(s + 1) == Some(&"us"));
        if !filler {
            break;
        }
        s += 1;
    }
    let t = &all[s..];
    let words = t
        .iter()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count();
    if words == 0 {
        return Some(Vagueness::TooShort);
    }
    let text = joined(t);
    let specific = has_measure(t) || has_deliverable_clause(t) || has_artifact(t);
    let (lead, lead_len) = lead_verb(t);
    let lead = lead.as_str();

    // Attitudes: "Be more careful", "Take SLO alerts more seriously".
    let exhort_lead = EXHORT_LEADS.contains(&lead)
        && !(lead == "follow" && t.get(1) == Some(&"up"))
        || (lead == "do" && t.get(1) == Some(&"not"))
        || (lead == "take" && (t.get(1) == Some(&"care") || t.contains(&"seriously")));
    let exhort_word = t.iter().any(|w| EXHORT_WORDS.contains(w));
    if (exhort_lead || exhort_word) && !specific {
        return Some(Vagueness::Exhortation);
    }
    if FUTURE_HEDGES.iter().any(|h| contains_phrase(&text, h)) {
        return Some(Vagueness::Exhortation);
    }
    if let Some(h) = SCOPE_HEDGES.iter().find(|h| contains_phrase(&text, h)) {
        return Some(Vagueness::VagueVerb((*h).to_string()));
    }
    if let Some(object) = bare_generic_object(t) {
        return Some(Vagueness::VagueVerb(format!("{lead} {object}")));
    }
    if specific {
        return None;
    }
    if INVESTIGATE_VERBS.contains(&lead) {
        return Some(Vagueness::OpenInvestigation);
    }
    if VAGUE_VERBS.contains(&lead) {
        // "Restrict production access to the break-glass role" says where the
        // limit goes; "Restrict production access" does not.
        let targeted = matches!(lead, "restrict" | "limit")
            && t.iter()
                .skip(lead_len)
                .position(|w| matches!(*w, "to" | "only"))
                .is_some_and(|p| words > lead_len + p + 2);
        if !targeted {
            return Some(Vagueness::VagueVerb(lead.to_string()));
        }
        return None;
    }
    let nominal = [
        "improvement",
        "enhancement",
        "investigation",
        "cleanup",
        "optimization",
        "optimisation",
        "hardening",
        "awareness",
    ];
    if COMPARATIVES.contains(&lead)
        || lemma_in(lead, &nominal)
        || matches!(lead, "improved" | "increased" | "enhanced")
    {
        return Some(Vagueness::VagueVerb(lead.to_string()));
    }
    if lead == "keep"
        && [
            "up to date",
            "current",
            "in sync",
            "in mind",
            "an eye on",
            "healthy",
        ]
        .iter()
        .any(|p| contains_phrase(&text, p))
    {
        return Some(Vagueness::VagueVerb("keep up to date".into()));
    }
    if let Some(c) = comparative(t) {
        return Some(Vagueness::VagueVerb(if lead == "make" {
            format!("make {c}")
        } else {
            c
        }));
    }
    if words < 3 {
        return Some(Vagueness::TooShort);
    }
    None
}

/// "Fix the bug", "Update the runbook", "Document the process": a verb and a
/// generic object, with nothing saying which one or what changes. Returns the
/// object as written.
fn bare_generic_object(t: &[&str]) -> Option<String> {
    const VERBS: [&str; 14] = [
        "fix", "update", "document", "review", "revisit", "refactor", "change", "adjust", "tune",
        "rework", "revise", "clean", "check", "address",
    ];
    const GENERIC: [&str; 16] = [
        "bug",
        "bugs",
        "issue",
        "issues",
        "problem",
        "problems",
        "process",
        "processes",
        "runbook",
        "runbooks",
        "docs",
        "documentation",
        "config",
        "configuration",
        "code",
        "system",
    ];
    let words: Vec<&str> = t
        .iter()
        .copied()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect();
    let (verb, rest) = words.split_first()?;
    if !VERBS.contains(verb) || rest.is_empty() || rest.len() > 3 {
        return None;
    }
    let nouns: Vec<&str> = rest
        .iter()
        .copied()
        .filter(|w| !matches!(*w, "the" | "a" | "an" | "our" | "this" | "that" | "all"))
        .collect();
    (nouns.len() == 1 && GENERIC.contains(&nouns[0])).then(|| rest.join(" "))
}

// ---------------------------------------------------------------------------
// Why-chains
// ---------------------------------------------------------------------------

/// Nouns that name a guard when something has "no" one.
#[rustfmt::skip]
const GUARD_NOUNS: &[&str] = &[
    "check", "checks", "validation", "confirmation", "test", "tests", "testing", "bound", "bounds",
    "limit", "limits", "alert", "alerts", "alerting", "monitor", "monitoring", "dry", "canary",
    "step", "documentation", "doc", "docs", "runbook", "owner", "ownership", "review", "approval",
    "safeguard", "guardrail", "protection", "backup", "backups", "fallback", "timeout", "retry",
    "retries", "redundancy", "isolation", "staging", "rollback", "way", "process", "procedure",
    "policy", "sanity", "minimum", "maximum", "cap", "throttle", "rate", "lock", "warning",
    "prompt", "gate", "audit", "plan", "coverage", "verification", "alarm", "quota", "circuit",
    "failover", "guard", "limiter", "record", "records", "visibility", "indication", "signal",
];

/// Participles that say a practice was missing: "had not been reviewed".
#[rustfmt::skip]
const PRACTICE_PARTICIPLES: &[&str] = &[
    "archived", "staged", "tested", "reviewed", "revisited", "rehearsed", "exercised", "updated",
    "documented", "audited", "modelled", "modeled", "validated", "checked", "monitored", "enforced",
    "covered", "considered", "versioned", "verified", "alerted", "measured", "tracked", "planned",
    "canaried", "owned", "maintained", "patched", "designed", "budgeted",
];

/// What a guard does, negated: "the wrapper did not compare free space".
#[rustfmt::skip]
const GUARD_VERBS: &[&str] = &[
    "check", "compare", "verify", "validate", "refuse", "reject", "cover", "track", "test", "limit",
    "require", "enforce", "confirm", "warn", "alert", "page", "monitor", "detect", "distinguish",
    "tell", "block", "prevent", "account", "consider", "catch", "flag", "bound", "cap", "throttle",
    "guard", "protect", "notice", "show", "record", "log", "retry", "stage", "pause", "ask",
    "surface", "archive", "handle", "isolate", "separate", "exist",
];

/// Words that name a standing condition whatever the subject.
#[rustfmt::skip]
const CONDITION_WORDS: &[&str] = &[
    "design", "designed", "assumed", "assumption", "assumptions", "assumes", "default", "defaults",
    "manual", "manually", "hand-built", "untested", "undocumented", "unmonitored", "unvalidated",
    "unchecked", "unbounded", "unlimited", "hardcoded", "hard-coded", "stale", "outdated",
    "deprecated", "end-of-life", "guardrail", "guardrails", "safeguard", "safeguards", "sanity",
    "rights", "permission", "permissions", "privileges", "coupled", "coupling", "unlike", "bug",
    "bugs", "flaw", "flawed", "defect", "latent", "nothing", "nobody", "without", "misconfigured",
    "single-threaded", "unowned", "tribal",
];

/// Whether a why names a standing system condition: a missing or failed
/// guardrail, a process gap, a design assumption or coupling.
fn names_condition(why: &str) -> bool {
    let toks = tokenize(why);
    let n = toks.len();
    for k in 0..n {
        if !toks[k].word {
            continue;
        }
        let w = toks[k].w.as_str();
        let next = word(&toks, k + 1);
        if CONDITION_WORDS.contains(&w) {
            return true;
        }
        let hit = match w {
            "no" if next == "one" => true,
            "no" => (k + 1..(k + 4).min(n)).any(|j| GUARD_NOUNS.contains(&word(&toks, j))),
            "not" | "never" => {
                let practice =
                    (k + 1..(k + 3).min(n)).any(|j| PRACTICE_PARTICIPLES.contains(&word(&toks, j)));
                let mut j = k + 1;
                while matches!(
                    word(&toks, j),
                    "be" | "been" | "yet" | "always" | "fully" | "properly"
                ) {
                    j += 1;
                }
                let guard =
                    lemma_in(word(&toks, j), GUARD_VERBS) && subject(&toks, k) != Class::Person;
                practice || guard
            }
            "only" => (k.saturating_sub(2)..(k + 4).min(n)).any(|j| {
                let x = word(&toks, j);
                matches!(
                    x,
                    "covered"
                        | "checked"
                        | "tested"
                        | "rehearsed"
                        | "handled"
                        | "looked"
                        | "verified"
                        | "compared"
                        | "validated"
                        | "monitored"
                        | "supported"
                        | "exercised"
                        | "ran"
                        | "run"
                        | "watched"
                        | "built"
                        | "implemented"
                        | "available"
                        | "enabled"
                        | "applied"
                )
            }),
            "ignored" | "accepted" | "allowed" | "permitted" | "let" | "skips" | "skipped"
            | "bypasses" | "bypassed" => subject(&toks, k) != Class::Person,
            "depended" | "depends" | "depend" | "dependent" | "relied" | "relies" | "rely" => {
                next == "on"
            }
            "outside" => DETERMINERS.contains(&next),
            "by" => next == "hand",
            "set" | "written" | "sized" | "tuned" | "configured" | "chosen" | "built" => {
                next == "when"
            }
            "could" => next == "not" && matches!(word(&toks, k + 2), "tell" | "distinguish"),
            _ => false,
        };
        if hit {
            return true;
        }
    }
    false
}

/// Whether a why is a person's act, choice or state: its subject is a
/// person, role, name or customer.
fn is_person_act(why: &str) -> bool {
    let toks = tokenize(why);
    match noun_phrase(&toks, 0, toks.len()) {
        Some((Class::Person, _)) => true,
        Some((_, head)) => lemma_in(&toks[head].w, &["customer", "user"]),
        None => toks
            .iter()
            .take_while(|t| t.word && !is_verb_like(t))
            .any(|t| lemma_in(&t.w, &["customer", "user"])),
    }
}

#[rustfmt::skip]
const CHAIN_STOPWORDS: &[&str] = &[
    "the", "a", "an", "this", "that", "these", "those", "it", "its", "they", "their", "them", "was",
    "were", "is", "are", "be", "been", "being", "had", "has", "have", "did", "do", "does", "not",
    "no", "could", "would", "should", "can", "will", "to", "of", "in", "on", "for", "with", "at",
    "by", "from", "as", "and", "or", "but", "because", "so", "there", "too", "many", "much",
    "enough", "some", "any", "every", "all", "again", "still", "also", "went", "go", "got", "get",
    "make", "made", "happen", "happened", "occur", "occurred", "which", "who", "when", "then",
    "than", "into", "out", "up", "any", "one", "more", "less", "very",
];

/// A rough stem: lower case, no plural or -ed/-ing ending, no "un-".
fn stem(w: &str) -> String {
    let mut s = w.to_string();
    if let Some(rest) = s.strip_prefix("un").filter(|r| r.len() >= 5) {
        s = rest.to_string();
    }
    for suffix in ["ing", "ed", "es", "s"] {
        if s.len() > suffix.len() + 3
            && s.ends_with(suffix)
            && !(suffix == "s" && s.ends_with("ss"))
        {
            s.truncate(s.len() - suffix.len());
            break;
        }
    }
    let b = s.as_bytes();
    if b.len() > 3 && b[b.len() - 1] == b[b.len() - 2] && !b"aeiousl".contains(&b[b.len() - 1]) {
        s.pop();
    }
    if s.len() > 4 && s.ends_with('e') {
        s.pop();
    }
    s
}

/// Content stems of a text, with adjacent words joined when the joined form
/// appears elsewhere in the chain ("fail over" / "failover").
fn content_stems(text: &str, known: &std::collections::HashSet<String>) -> Vec<String> {
    let words: Vec<String> = tokenize(text)
        .into_iter()
        .filter(|t| t.word && !is_numberish(&t.w))
        .map(|t| t.w)
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut k = 0;
    while k < words.len() {
        if k + 1 < words.len() {
            let glued = stem(&format!("{}{}", words[k], words[k + 1]));
            if known.contains(&glued) {
                out.push(glued);
                k += 2;
                continue;
            }
        }
        if !CHAIN_STOPWORDS.contains(&words[k].as_str()) {
            out.push(stem(&words[k]));
        }
        k += 1;
    }
    out.sort();
    out.dedup();
    out
}

/// A why whose content words were (nearly) all said before: the first such
/// why, and the earlier why (or the proximate cause) it overlaps most.
fn circular(proximate: &str, whys: &[&str]) -> Option<(usize, Option<usize>)> {
    let known: std::collections::HashSet<String> = std::iter::once(proximate)
        .chain(whys.iter().copied())
        .flat_map(|t| {
            tokenize(t)
                .into_iter()
                .filter(|t| t.word)
                .map(|t| stem(&t.w))
        })
        .collect();
    let stems: Vec<Vec<String>> = std::iter::once(proximate)
        .chain(whys.iter().copied())
        .map(|t| content_stems(t, &known))
        .collect();
    for a in 1..stems.len() {
        let words = &stems[a];
        if words.is_empty() {
            continue;
        }
        let seen = words
            .iter()
            .filter(|w| stems[..a].iter().any(|s| s.contains(w)))
            .count();
        if seen * 5 >= words.len() * 3 {
            let overlap = |b: usize| words.iter().filter(|w| stems[b].contains(w)).count();
            let best = (0..a).max_by_key(|&b| (overlap(b), b)).unwrap_or(0);
            return Some((a - 1, best.checked_sub(1)));
        }
    }
    None
}

/// Whether a why-chain reaches a system condition. `whys` are in order,
/// shallowest first. A chain is deep when any why names a standing system
/// condition; otherwise it is shallow because it has no whys, ends at a
/// person's act, goes round in circles, or only traces events.
pub fn shallowness(proximate: &str, whys: &[&str]) -> Option<Shallowness> {
    let Some(last) = whys.iter().rposition(|w| !w.trim().is_empty()) else {
        return Some(Shallowness::StopsAtProximate);
    };
    // Ending at a person's act is shallow even after a condition was named:
    // the chain went back from the system to the person.
    if is_person_act(whys[last]) && !names_condition(whys[last]) {
        return Some(Shallowness::StopsAtPerson { why: last });
    }
    if whys.iter().any(|w| names_condition(w)) {
        return None;
    }
    if let Some((a, b)) = circular(proximate, whys) {
        return Some(Shallowness::Circular { a, b });
    }
    Some(Shallowness::NoSystemCondition)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(s: &str) -> Option<BlameKind> {
        blame(s, &Lexicon::default()).map(|h| h.kind)
    }

    #[test]
    fn splits_sentences_with_offsets() {
        let text = "The deploy failed at 14:05. Dr. Smith paged the on-call, e.g. via PagerDuty.\n\n- Rollback took 9.5 minutes! Was it enough?";
        let got = sentences(text);
        let texts: Vec<&str> = got.iter().map(|&(_, s)| s).collect();
        assert_eq!(
            texts,
            [
                "The deploy failed at 14:05.",
                "Dr. Smith paged the on-call, e.g. via PagerDuty.",
                "Rollback took 9.5 minutes!",
                "Was it enough?"
            ]
        );
        for (at, s) in got {
            assert_eq!(&text[at..at + s.len()], s);
        }
        assert!(sentences("  \n ").is_empty());
    }

    #[test]
    fn finds_blame_of_each_kind() {
        use BlameKind::*;
        assert_eq!(hit("Human error was the root cause."), Some(HumanError));
        assert_eq!(
            hit("The operator should have double-checked the list."),
            Some(ShouldHave)
        );
        assert_eq!(
            hit("Ravi carelessly approved the change."),
            Some(Carelessness)
        );
        assert_eq!(
            hit("The incident commander failed to escalate in time."),
            Some(PersonFailed)
        );
        assert_eq!(
            hit("The platform team forgot to disable upgrades."),
            Some(Forgot)
        );
        assert_eq!(
            hit("Alex didn't follow the upgrade checklist."),
            Some(IgnoredProcess)
        );
        assert_eq!(
            hit("The on-call engineer ignored the first three pages."),
            Some(IgnoredProcess)
        );
        assert_eq!(
            hit("It was the operator's fault that the change spread."),
            Some(Fault)
        );
        assert_eq!(
            hit("Blame lies with the vendor's on-call engineer."),
            Some(Fault)
        );
        assert_eq!(hit("Put Sam on a performance plan."), Some(Fault));
    }

    #[test]
    fn points_at_the_words() {
        let s = "In the end, Priya Shah failed to check replication lag.";
        let h = blame(s, &Lexicon::default()).unwrap();
        assert_eq!(&s[h.start..h.end], "failed to check");
        assert_eq!(h.phrase, "failed to check");
        let s = "The root cause was the engineer’s mistake.";
        let h = blame(s, &Lexicon::default()).unwrap();
        assert_eq!(h.phrase, "engineer’s mistake");
    }

    #[test]
    fn systems_failing_are_not_blame() {
        for s in [
            "The health check failed to detect the stalled nodes.",
            "The automated quota manager failed to notice a usage of zero.",
            "Clients ignored the backoff hint and retried at once.",
            "A memcached node forgets everything it held when it restarts.",
            "The bug should have been caught by our testing.",
            "The config error reached every machine within five minutes.",
            "Data loss was negligible.",
            "Each careful step of the rollout hid the gap.",
        ] {
            assert_eq!(hit(s), None, "{s}");
        }
    }

    #[test]
    fn rejections_and_quotes_are_not_blame() {
        for s in [
            "This was not human error; the runbook said to run that command.",
            "Calling this 'human error' would stop the analysis.",
            "The phrase 'Tom forgot the flag' was in the first draft; we removed it.",
            "It was not the engineer's fault.",
            "No one is to blame for the outage.",
            "We do not attribute this outage to operator error.",
            "Nobody went looking for someone to blame during the call.",
        ] {
            assert_eq!(hit(s), None, "{s}");
        }
        // "on call" is not "calling this ...".
        assert_eq!(
            hit("The SRE on call carelessly restarted every server."),
            Some(BlameKind::Carelessness)
        );
        assert_eq!(hit("Calling it operator error misses the point."), None);
        // A disclaimer does not cancel blame in the same sentence.
        assert!(
            hit("Although we run blameless reviews, Sam should have checked the host.").is_some()
        );
        // An exhortation is not a rejection.
        assert!(hit("Remind engineers that they must not be sloppy.").is_some());
    }

    #[test]
    fn a_verb_and_a_generic_object_is_vague() {
        for vague in ["Fix the bug", "Update the runbook", "Document the process"] {
            assert!(
                matches!(vagueness(vague), Some(Vagueness::VagueVerb(_))),
                "{vague}"
            );
        }
        for specific in [
            "Update the runbook for failover with the new promote command",
            "Fix the race in the cache warmer that double-writes keys",
        ] {
            assert_eq!(vagueness(specific), None, "{specific}");
        }
    }

    #[test]
    fn extra_phrases_count() {
        let lexicon = Lexicon {
            extra_blame_phrases: vec!["kept everyone in the dark".into()],
        };
        let h = blame("Ops kept everyone in the dark about the renewal.", &lexicon).unwrap();
        assert_eq!(
            (h.kind, h.phrase.as_str()),
            (BlameKind::Extra, "kept everyone in the dark")
        );
        assert!(blame("Nobody 'kept everyone in the dark' here.", &lexicon).is_none());
        let idiom = blame(
            "Mike dropped the ball on the migration.",
            &Lexicon::default(),
        )
        .unwrap();
        assert_eq!(idiom.kind, BlameKind::Fault);
    }

    #[test]
    fn vague_actions() {
        use Vagueness::*;
        assert_eq!(
            vagueness("Improve monitoring."),
            Some(VagueVerb("improve".into()))
        );
        assert_eq!(
            vagueness("Be more careful when running playbook commands."),
            Some(Exhortation)
        );
        assert_eq!(
            vagueness("Investigate replication lag."),
            Some(OpenInvestigation)
        );
        assert_eq!(vagueness("Fix it."), Some(TooShort));
        assert_eq!(
            vagueness("Make deploys safer."),
            Some(VagueVerb("make safer".into()))
        );
        assert_eq!(
            vagueness("Implement soft deletes where appropriate."),
            Some(VagueVerb("where appropriate".into()))
        );
        assert_eq!(
            vagueness("Write better runbooks."),
            Some(VagueVerb("better".into()))
        );
    }

    #[test]
    fn specific_actions() {
        for a in [
            "Add alerting when p99 checkout latency exceeds 800 ms for 10 minutes.",
            "Improve cache hit rate on the boot path from 60% to 90%.",
            "Investigate the 502 spike and post a written root cause in ticket OPS-412 within a week.",
            "Investigate the 502 spike, with a written root cause in OPS-412 by 2025-12-01.",
            "Revoke TRUNCATE permission from all application database users in production.",
            "Write a runbook for partition reassignment and link it from the UnderReplicated alert.",
            "Remove the unused delete_all admin endpoint.",
            "Run a quarterly game day that fails the primary's disk.",
        ] {
            assert_eq!(vagueness(a), None, "{a}");
        }
        // A deadline alone does not make a vague item specific.
        assert!(vagueness("Improve monitoring by 2024-05-01.").is_some());
    }

    #[test]
    fn shallow_chains() {
        assert_eq!(
            shallowness("The site was down.", &[]),
            Some(Shallowness::StopsAtProximate)
        );
        assert_eq!(
            shallowness(
                "Data was deleted.",
                &[
                    "A removal command ran on the primary.",
                    "The engineer did not double-check the host."
                ]
            ),
            Some(Shallowness::StopsAtPerson { why: 1 })
        );
        assert_eq!(
            shallowness(
                "The API was down.",
                &[
                    "Pacemaker did not promote a primary.",
                    "The cluster failed to fail over.",
                    "Failover did not happen."
                ]
            ),
            Some(Shallowness::Circular { a: 2, b: Some(1) })
        );
        assert_eq!(
            shallowness(
                "Customers saw errors.",
                &[
                    "The servers ran out of threads.",
                    "Servers were added that morning."
                ]
            ),
            Some(Shallowness::NoSystemCondition)
        );
    }

    #[test]
    fn deep_chains() {
        assert_eq!(
            shallowness(
                "The main database ran out of disk.",
                &[
                    "pg_repack copied a table larger than the free space.",
                    "The wrapper did not compare free space with the table size."
                ]
            ),
            None
        );
        assert_eq!(
            shallowness(
                "Every server rebooted.",
                &["The tool had no confirmation step for fleet-wide targets."]
            ),
            None
        );
    }

    #[test]
    fn names_as_subjects_of_failure() {
        let s = "Priya forgot to renew the certificate.";
        assert_eq!(names_as_failing(s, "Priya"), Some((0, 5)));
        let s = "Dave's change broke checkout.";
        assert_eq!(names_as_failing(s, "Dave"), Some((0, 4)));
        let s = "The outage was caused by Sam.";
        assert_eq!(
            names_as_failing(s, "Sam").map(|(a, b)| &s[a..b]),
            Some("Sam")
        );
        assert_eq!(
            names_as_failing("Sam restored the backup at 14:05.", "Sam"),
            None
        );
        assert_eq!(names_as_failing("It was not Sam's fault.", "Sam"), None);
        assert_eq!(
            names_as_failing("Priya Shah failed to check lag.", "Priya"),
            Some((0, 5))
        );
    }
}
