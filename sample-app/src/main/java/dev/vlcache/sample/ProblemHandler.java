package dev.vlcache.sample;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.boot.servlet.autoconfigure.MultipartProperties;
import org.springframework.http.ResponseEntity;
import org.springframework.util.unit.DataSize;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;

import dev.vlcache.ai.VlCacheBusyException;

/**
 * Turns every failure into {@code application/problem+json} with a status and a sentence a person can act on.
 * Model errors never leak stack traces; a failed request leaves the model serving others.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
public class ProblemHandler {

	private static final Logger logger = LoggerFactory.getLogger(ProblemHandler.class);

	private final MultipartProperties multipart;

	public ProblemHandler(MultipartProperties multipart) {
		this.multipart = multipart;
	}

	@ExceptionHandler(Exception.class)
	public ResponseEntity<ProblemDetail> handle(Exception ex) {
		ProblemDetail problem = describe(ex);
		ResponseEntity.BodyBuilder response = ResponseEntity.status(problem.getStatus())
			.contentType(MediaType.APPLICATION_PROBLEM_JSON);
		if (ex instanceof VlCacheBusyException busy) {
			response.header(HttpHeaders.RETRY_AFTER, String.valueOf(retryAfterSeconds(busy.getRetryAfter())));
		}
		return response.body(problem);
	}

	/** The problem document for a failure; also sent as the {@code error} event of a stream. */
	public ProblemDetail describe(Throwable ex) {
		if (ex instanceof BadChatRequestException bad) {
			return problem(bad.getStatus(), bad.getTitle(), bad.getMessage());
		}
		if (ex instanceof MaxUploadSizeExceededException) {
			return problem(HttpStatus.CONTENT_TOO_LARGE, "File too large",
					"The upload is over the limit of " + size(this.multipart.getMaxFileSize()) + " per image and "
							+ size(this.multipart.getMaxRequestSize()) + " per request; send a smaller image.");
		}
		if (ex instanceof MultipartException) {
			return problem(HttpStatus.BAD_REQUEST, "Not a form upload",
					"Send the question and images as multipart/form-data: " + ex.getMessage());
		}
		if (ex instanceof VlCacheBusyException busy) {
			ProblemDetail p = problem(HttpStatus.SERVICE_UNAVAILABLE, "Server busy", busy.getMessage());
			p.setProperty("retryAfterSeconds", retryAfterSeconds(busy.getRetryAfter()));
			return p;
		}
		if (ex instanceof org.springframework.web.ErrorResponse error) {
			// Spring MVC's own failures (wrong method, unsupported content type, ...) carry their problem.
			return error.getBody();
		}
		if (ex instanceof IllegalArgumentException) {
			return problem(HttpStatus.BAD_REQUEST, "Invalid request", ex.getMessage());
		}
		logger.error("Chat request failed", ex);
		return problem(HttpStatus.INTERNAL_SERVER_ERROR, "Generation failed",
				"The model could not answer this request (" + ex.getClass().getSimpleName()
						+ "); other requests are not affected.");
	}

	private static ProblemDetail problem(HttpStatus status, String title, String detail) {
		ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
		p.setTitle(title);
		return p;
	}

	private static long retryAfterSeconds(Duration wait) {
		return Math.max(1, (long) Math.ceil(wait.toMillis() / 1000.0));
	}

	private static String size(DataSize size) {
		return size.toMegabytes() > 0 ? size.toMegabytes() + " MB" : size.toKilobytes() + " KB";
	}

}
