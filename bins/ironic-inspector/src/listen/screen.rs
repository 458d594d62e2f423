//! Request heads checked before the HTTP parser sees them.
//!
//! [`ScreenedIo`] wraps one client connection. It holds back each request
//! head until it is complete, checks it (a request target with a fragment,
//! one over [`Limits::max_target`], a head over [`Limits::max_head`], a
//! malformed line) and follows the body's framing (`Content-Length` or
//! chunked) to find the next head. A head that fails the checks is never
//! handed on: the connection reads as ended there, and the [`Rejection`] is
//! answered in the API's error format once the requests before it are done
//! (`connection.rs`). This is what the HTTP library cannot do: it drops a
//! fragment while parsing (`DELETE /v1/rules#x` would be `DELETE /v1/rules`)
//! and answers its own errors with a bare status line.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Headers a request may carry (the HTTP library's own limit).
const MAX_HEADERS: usize = 100;
/// A chunk-size line or one trailer line.
const MAX_CHUNK_LINE: usize = 4096;
/// What one read from the client asks for while a head is being collected.
const READ_SIZE: usize = 16 * 1024;

/// Sizes a request head may reach.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The request target (path and query), in bytes; longer ones get 414.
    pub(crate) max_target: usize,
    /// The whole head (request line and headers), in bytes; larger ones get 431.
    pub(crate) max_head: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_target: 16 * 1024,
            max_head: 64 * 1024,
        }
    }
}

/// Why a request head was refused, answered once the connection's earlier requests are done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl Rejection {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

/// Where the connection is in the request stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// Between requests, or inside a head that is still arriving.
    Head,
    /// Inside a body of known length: this many bytes remain.
    Fixed(u64),
    /// Inside a chunked body, reading a chunk-size line.
    ChunkSize,
    /// Inside a chunk: this many bytes remain, its closing CRLF included.
    ChunkData(u64),
    /// After the last chunk, reading trailer lines up to an empty one.
    Trailers,
}

/// A client connection whose request heads are checked before they are read.
pub(crate) struct ScreenedIo<I> {
    inner: I,
    limits: Limits,
    framing: Framing,
    /// Bytes of the head or chunk line being collected.
    pending: Vec<u8>,
    /// Checked bytes not yet handed on, from `ready_from`.
    ready: Vec<u8>,
    ready_from: usize,
    rejection: Option<Rejection>,
    /// The client ended the stream.
    ended: bool,
}

impl<I> ScreenedIo<I> {
    pub(crate) fn new(inner: I, limits: Limits) -> Self {
        Self {
            inner,
            limits,
            framing: Framing::Head,
            pending: Vec::new(),
            ready: Vec::new(),
            ready_from: 0,
            rejection: None,
            ended: false,
        }
    }

    /// The refused head, if one was.
    pub(crate) fn take_rejection(&mut self) -> Option<Rejection> {
        self.rejection.take()
    }

    /// Whether the client is still sending a request (a body the service
    /// answered without reading, or a head that was refused): what the
    /// connection must read and discard before closing, lest the kernel
    /// reset it under the answer.
    pub(crate) fn unread_request(&self) -> Option<u64> {
        if self.ended {
            None
        } else if self.rejection.is_some() {
            Some(u64::MAX)
        } else {
            match self.framing {
                Framing::Head if self.pending.is_empty() => None,
                Framing::Fixed(remaining) => Some(remaining),
                _ => Some(u64::MAX),
            }
        }
    }

    pub(crate) fn inner_mut(&mut self) -> &mut I {
        &mut self.inner
    }

    /// Runs `input` read from the client through the checks, moving what
    /// passes to `ready`.
    fn scan(&mut self, input: &[u8]) {
        let mut carried: Vec<u8>;
        let mut bytes = input;
        while !bytes.is_empty() && self.rejection.is_none() {
            match self.framing {
                Framing::Fixed(remaining) | Framing::ChunkData(remaining) => {
                    let taken =
                        usize::try_from(remaining).map_or(bytes.len(), |n| n.min(bytes.len()));
                    self.ready.extend_from_slice(&bytes[..taken]);
                    bytes = &bytes[taken..];
                    let left = remaining - taken as u64;
                    self.framing = match (self.framing, left) {
                        (Framing::Fixed(_), 0) => Framing::Head,
                        (Framing::Fixed(_), left) => Framing::Fixed(left),
                        (_, 0) => Framing::ChunkSize,
                        (_, left) => Framing::ChunkData(left),
                    };
                }
                Framing::Head => {
                    self.pending.extend_from_slice(bytes);
                    let Some(length) = self.check_head() else {
                        return;
                    };
                    // What followed the head (its body, the next request) is scanned in turn.
                    carried = std::mem::take(&mut self.pending);
                    self.ready.extend(carried.drain(..length));
                    bytes = &carried;
                }
                Framing::ChunkSize | Framing::Trailers => {
                    let Some(newline) = bytes.iter().position(|&byte| byte == b'\n') else {
                        self.pending.extend_from_slice(bytes);
                        if self.pending.len() > MAX_CHUNK_LINE {
                            self.reject(
                                StatusCode::BAD_REQUEST,
                                "Malformed request: a chunk line is too long",
                            );
                        }
                        return;
                    };
                    self.pending.extend_from_slice(&bytes[..=newline]);
                    bytes = &bytes[newline + 1..];
                    let line = std::mem::take(&mut self.pending);
                    self.end_of_chunk_line(&line);
                    if self.rejection.is_none() {
                        self.ready.extend_from_slice(&line);
                    }
                }
            }
        }
    }

    /// Checks the head collected in `pending`: once it is complete and
    /// passes, returns its length and sets the body's framing.
    fn check_head(&mut self) -> Option<usize> {
        // Empty lines before a request line are allowed (RFC 9112 §2.2).
        let blank = self
            .pending
            .iter()
            .take_while(|&&byte| byte == b'\r' || byte == b'\n')
            .count();
        if blank > 0 {
            let blank: Vec<u8> = self.pending.drain(..blank).collect();
            self.ready.extend_from_slice(&blank);
        }
        if self.pending.is_empty() {
            return None;
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        let parsed = request.parse(&self.pending);
        let length = match parsed {
            Ok(httparse::Status::Complete(length)) => length,
            Ok(httparse::Status::Partial) => {
                let line_ended = self.pending.contains(&b'\n');
                if !line_ended && self.pending.len() > self.limits.max_target {
                    self.refuse(self.target_too_long());
                } else if self.pending.len() > self.limits.max_head {
                    self.refuse(self.head_too_large());
                }
                return None;
            }
            Err(httparse::Error::TooManyHeaders) => {
                self.reject(
                    StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                    format!("Request header fields too large: at most {MAX_HEADERS} headers"),
                );
                return None;
            }
            Err(error) => {
                self.reject(
                    StatusCode::BAD_REQUEST,
                    format!("Malformed request: {error}"),
                );
                return None;
            }
        };
        let target = request.path.unwrap_or_default();
        let checked = if target.len() > self.limits.max_target {
            Err(self.target_too_long())
        } else if target.contains('#') {
            Err(Rejection::new(
                StatusCode::BAD_REQUEST,
                "Invalid request target: a fragment (#...) is not allowed in a request (RFC 9112)",
            ))
        } else if length > self.limits.max_head {
            Err(self.head_too_large())
        } else if target.parse::<axum::http::Uri>().is_err() {
            Err(Rejection::new(
                StatusCode::BAD_REQUEST,
                "Invalid request target",
            ))
        } else {
            body_framing(request.headers)
        };
        match checked {
            Ok(framing) => {
                self.framing = framing;
                Some(length)
            }
            Err(rejection) => {
                self.rejection = Some(rejection);
                None
            }
        }
    }

    fn target_too_long(&self) -> Rejection {
        Rejection::new(
            StatusCode::URI_TOO_LONG,
            format!(
                "URI too long: the request target may be at most {} bytes",
                self.limits.max_target
            ),
        )
    }

    fn head_too_large(&self) -> Rejection {
        Rejection::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "Request header fields too large: the head may be at most {} bytes",
                self.limits.max_head
            ),
        )
    }

    /// A chunk-size or trailer line has ended.
    fn end_of_chunk_line(&mut self, line: &[u8]) {
        if self.framing == Framing::Trailers {
            if line == b"\r\n" || line == b"\n" {
                self.framing = Framing::Head;
            }
            return;
        }
        match httparse::parse_chunk_size(line) {
            Ok(httparse::Status::Complete((_, 0))) => self.framing = Framing::Trailers,
            Ok(httparse::Status::Complete((_, size))) => {
                self.framing = Framing::ChunkData(size.saturating_add(2));
            }
            _ => self.reject(
                StatusCode::BAD_REQUEST,
                "Malformed request: invalid chunk size",
            ),
        }
    }

    fn reject(&mut self, status: StatusCode, message: impl Into<String>) {
        self.refuse(Rejection::new(status, message));
    }

    fn refuse(&mut self, rejection: Rejection) {
        self.rejection = Some(rejection);
        self.pending.clear();
    }

    /// Hands checked bytes on to `buf`; whether there were any.
    fn hand_on(&mut self, buf: &mut ReadBuf<'_>) -> bool {
        let waiting = &self.ready[self.ready_from..];
        if waiting.is_empty() {
            return false;
        }
        let count = waiting.len().min(buf.remaining());
        buf.put_slice(&waiting[..count]);
        self.ready_from += count;
        if self.ready_from == self.ready.len() {
            self.ready.clear();
            self.ready_from = 0;
        }
        true
    }
}

/// The framing of a request body from its headers (RFC 9112 §6.3).
fn body_framing(headers: &[httparse::Header<'_>]) -> Result<Framing, Rejection> {
    let malformed = |message: &str| {
        Rejection::new(
            StatusCode::BAD_REQUEST,
            format!("Malformed request: {message}"),
        )
    };
    let mut transfer_encoding: Option<&[u8]> = None;
    let mut length: Option<u64> = None;
    for header in headers {
        if header.name.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encoding = Some(header.value);
        } else if header.name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(header.value)
                .ok()
                .and_then(|value| value.trim().parse::<u64>().ok())
                .ok_or_else(|| malformed("invalid Content-Length"))?;
            if length.is_some_and(|known| known != value) {
                return Err(malformed("conflicting Content-Length headers"));
            }
            length = Some(value);
        }
    }
    if let Some(codings) = transfer_encoding {
        let last = codings
            .rsplit(|&byte| byte == b',')
            .next()
            .unwrap_or_default();
        return if last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
            Ok(Framing::ChunkSize)
        } else {
            Err(malformed(
                "a request's Transfer-Encoding must end with chunked",
            ))
        };
    }
    Ok(match length {
        Some(0) | None => Framing::Head,
        Some(length) => Framing::Fixed(length),
    })
}

impl<I: AsyncRead + Unpin> AsyncRead for ScreenedIo<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.hand_on(buf) || this.rejection.is_some() || this.ended {
                // After a refused head the stream reads as ended.
                return Poll::Ready(Ok(()));
            }
            if let Framing::Fixed(remaining) = this.framing {
                // Body bytes go straight through.
                let limit =
                    usize::try_from(remaining).map_or(buf.remaining(), |n| n.min(buf.remaining()));
                let mut window = ReadBuf::new(&mut buf.initialize_unfilled()[..limit]);
                ready!(Pin::new(&mut this.inner).poll_read(cx, &mut window))?;
                let count = window.filled().len();
                if count == 0 {
                    this.ended = true;
                } else {
                    buf.advance(count);
                    let left = remaining - count as u64;
                    this.framing = if left == 0 {
                        Framing::Head
                    } else {
                        Framing::Fixed(left)
                    };
                }
                return Poll::Ready(Ok(()));
            }
            let mut chunk = [0_u8; READ_SIZE];
            let mut window = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut window))?;
            if window.filled().is_empty() {
                this.ended = true;
                // An incomplete head goes on as it is: the parser reports it.
                let partial = std::mem::take(&mut this.pending);
                this.ready.extend_from_slice(&partial);
                continue;
            }
            this.scan(window.filled());
        }
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for ScreenedIo<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use tokio::io::AsyncReadExt;

    use super::*;

    /// A client whose bytes arrive `step` at a time, as from a socket.
    struct Client<'a> {
        input: &'a [u8],
        step: usize,
    }

    impl AsyncRead for Client<'_> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let count = self.step.min(self.input.len()).min(buf.remaining());
            buf.put_slice(&self.input[..count]);
            self.input = &self.input[count..];
            Poll::Ready(Ok(()))
        }
    }

    /// What the parser would read from `input`, and the refusal, if any.
    async fn screen(input: &[u8], step: usize) -> (Vec<u8>, Option<StatusCode>) {
        let client = Client { input, step };
        let mut screened = ScreenedIo::new(
            client,
            Limits {
                max_target: 64,
                max_head: 256,
            },
        );
        let mut passed = Vec::new();
        screened.read_to_end(&mut passed).await.unwrap();
        (
            passed,
            screened.take_rejection().map(|rejection| rejection.status),
        )
    }

    const GET: &[u8] = b"GET /v1/rules HTTP/1.1\r\nhost: x\r\n\r\n";
    const POST: &[u8] = b"POST /v1/rules HTTP/1.1\r\ncontent-length: 5\r\n\r\nGET /";
    const CHUNKED: &[u8] =
        b"POST /v1/rules HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n5;x=y\r\nGET /\r\n0\r\ntrailer: t\r\n\r\n";

    #[rstest]
    #[case::one_request(GET.to_vec(), GET.to_vec(), None)]
    #[case::blank_lines_first([b"\r\n\r\n", GET].concat(), [b"\r\n\r\n", GET].concat(), None)]
    #[case::a_body_that_looks_like_a_request([POST, GET].concat(), [POST, GET].concat(), None)]
    #[case::a_chunked_body([CHUNKED, GET].concat(), [CHUNKED, GET].concat(), None)]
    #[case::a_fragment(b"DELETE /v1/rules#x HTTP/1.1\r\n\r\n".to_vec(), vec![], Some(StatusCode::BAD_REQUEST))]
    #[case::a_fragment_after_a_request([POST, b"DELETE /v1/rules#x HTTP/1.1\r\n\r\n"].concat(), POST.to_vec(), Some(StatusCode::BAD_REQUEST))]
    #[case::a_fragment_after_a_chunked_body([CHUNKED, b"DELETE /#x HTTP/1.1\r\n\r\n"].concat(), CHUNKED.to_vec(), Some(StatusCode::BAD_REQUEST))]
    #[case::a_long_target_complete(format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(64)).into_bytes(), vec![], Some(StatusCode::URI_TOO_LONG))]
    #[case::a_long_target_arriving(format!("GET /{}", "a".repeat(300)).into_bytes(), vec![], Some(StatusCode::URI_TOO_LONG))]
    #[case::a_large_head(format!("GET / HTTP/1.1\r\nx: {}\r\n\r\n", "a".repeat(300)).into_bytes(), vec![], Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE))]
    #[case::too_many_headers([b"GET / HTTP/1.1\r\n".to_vec(), b"x: y\r\n".repeat(101), b"\r\n".to_vec()].concat(), vec![], Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE))]
    #[case::not_http(b"GET / HTTP/9.9\r\n\r\n".to_vec(), vec![], Some(StatusCode::BAD_REQUEST))]
    #[case::a_bad_length(b"POST / HTTP/1.1\r\ncontent-length: -1\r\n\r\n".to_vec(), vec![], Some(StatusCode::BAD_REQUEST))]
    #[case::two_lengths(b"POST / HTTP/1.1\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab".to_vec(), vec![], Some(StatusCode::BAD_REQUEST))]
    #[case::gzip_only(b"POST / HTTP/1.1\r\ntransfer-encoding: gzip\r\n\r\n".to_vec(), vec![], Some(StatusCode::BAD_REQUEST))]
    #[case::a_bad_chunk_size(b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n".to_vec(), b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n".to_vec(), Some(StatusCode::BAD_REQUEST))]
    #[case::an_incomplete_head(b"GET / HTTP/1.1\r\nhost".to_vec(), b"GET / HTTP/1.1\r\nhost".to_vec(), None)]
    #[tokio::test]
    async fn heads_are_checked_and_bodies_followed(
        #[case] input: Vec<u8>,
        #[case] passed: Vec<u8>,
        #[case] refused: Option<StatusCode>,
        #[values(1, 7, 4096)] step: usize,
    ) {
        assert_eq!(screen(&input, step).await, (passed, refused));
    }

    #[rstest]
    #[case::between_requests(GET.to_vec(), None)]
    #[case::inside_a_body(b"POST / HTTP/1.1\r\ncontent-length: 10\r\n\r\nabc".to_vec(), Some(7))]
    #[case::inside_a_chunked_body(b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab".to_vec(), Some(u64::MAX))]
    #[tokio::test]
    async fn what_the_client_still_sends_is_known(
        #[case] input: Vec<u8>,
        #[case] unread: Option<u64>,
    ) {
        let mut screened = ScreenedIo::new(&input[..], Limits::default());
        let mut passed = vec![0; input.len()];
        let mut read = 0;
        while read < input.len() {
            read += screened.read(&mut passed[read..]).await.unwrap();
        }
        assert_eq!(screened.unread_request(), unread);
    }
}
