//! The methods each documented path answers, read from the OpenAPI
//! document, so that a known path asked with the wrong method gets `405`
//! with an `Allow` header instead of `404`. The document is the route list
//! already (the drift check keeps it so); no second list to keep in step.

use actix_web::http::Method;
use utoipa::openapi::OpenApi;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `{name}`: any one non-empty segment.
    Parameter,
}

/// Path templates and their methods.
#[derive(Debug, Default)]
pub(crate) struct KnownRoutes {
    routes: Vec<(Vec<Segment>, Vec<Method>)>,
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.trim_matches('/').split('/')
}

impl KnownRoutes {
    pub(crate) fn from_openapi(document: &OpenApi) -> Self {
        let routes = document
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let pattern = segments(template)
                    .map(|segment| {
                        if segment.starts_with('{') && segment.ends_with('}') {
                            Segment::Parameter
                        } else {
                            Segment::Literal(segment.to_owned())
                        }
                    })
                    .collect();
                let methods = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, present)| present.then_some(method))
                .collect();
                (pattern, methods)
            })
            .collect();
        Self { routes }
    }

    /// The methods `path` answers, when some documented path matches it.
    /// A template with more literal segments wins, as in the router:
    /// `…/messages/mark-read` answers what that route answers, not what
    /// `…/messages/{message_id}` does.
    pub(crate) fn allowed(&self, path: &str) -> Option<Vec<Method>> {
        let asked: Vec<&str> = segments(path).collect();
        let mut allowed: Vec<Method> = Vec::new();
        let mut best = 0;
        for (pattern, methods) in &self.routes {
            let matches = pattern.len() == asked.len()
                && pattern
                    .iter()
                    .zip(&asked)
                    .all(|(expected, segment)| match expected {
                        Segment::Literal(literal) => literal == segment,
                        Segment::Parameter => !segment.is_empty(),
                    });
            let literals = pattern
                .iter()
                .filter(|segment| matches!(segment, Segment::Literal(_)))
                .count();
            if matches && literals > best {
                best = literals;
                allowed.clear();
            }
            if matches && literals == best {
                for method in methods {
                    if !allowed.contains(method) {
                        allowed.push(method.clone());
                    }
                }
            }
        }
        (!allowed.is_empty()).then_some(allowed)
    }
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi as _;

    use super::*;
    use crate::openapi::ApiDoc;

    #[test]
    fn documented_paths_are_matched_with_their_parameters() {
        let known = KnownRoutes::from_openapi(&ApiDoc::openapi());
        assert_eq!(
            known.allowed("/api/v1/auth/login"),
            Some(vec![Method::POST])
        );
        let chat = known
            .allowed("/api/v1/chats/0193b0f2-8a1e-7c3e-9a41-3f6e8b2c5d17")
            .unwrap();
        assert!(chat.contains(&Method::GET) && chat.contains(&Method::PUT));
        assert_eq!(
            known.allowed("/api/v1/chats/0193b0f2-8a1e-7c3e-9a41-3f6e8b2c5d17/messages/mark-read"),
            Some(vec![Method::POST])
        );
        assert_eq!(known.allowed("/api/v1/nowhere"), None);
        assert_eq!(known.allowed("/api/v1/chats/x/y/z/w"), None);
    }
}
