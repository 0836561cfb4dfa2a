package dev.vlcache.core.serving;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

import ai.djl.ndarray.NDManager;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.generation.GenerationRequest;
import dev.vlcache.core.generation.GenerationResult;
import dev.vlcache.core.generation.Sequence;
import dev.vlcache.core.generation.TokenListener;
import dev.vlcache.core.kv.KvCache;
import dev.vlcache.core.text.RotaryPositions;

/**
 * Serves concurrent requests on one model by continuous batching. Requests enter a queue; one thread owns the
 * model's forward passes and, at every iteration, runs one decoding step for all running sequences together (one
 * pass over the weights, attention per sequence over its own cache), then one piece of the prefill of the request
 * being admitted, so that a long prompt stalls the running streams by one piece at a time, not by its whole
 * prefill.
 *
 * <p>
 * Admission is by KV-cache bytes: the request at the head of the queue starts when its prompt's cache before
 * compression, plus an entry for every token it may generate, fits in the {@link KvMemoryPool} beside the running
 * requests' reservations, and fewer than {@link SchedulerOptions#maxBatchSize()} run. After its compression the
 * evicted bytes return to the pool at once. The queue keeps its order; a request that could never fit fails at
 * submission ({@link KvBudgetExceededException}), one that waits past the queue timeout fails with
 * {@link QueueTimeoutException}.
 *
 * <p>
 * Sampling, stop strings, EOS, token limits, streaming and cancellation stay per request: a request that is
 * cancelled, or whose listener or sampling throws, leaves the batch at that step and the others carry on. If a
 * batched step itself fails, every cache is rolled back to before the step and each sequence is retried alone, so
 * that only the sequence that fails alone is failed. Each step's arrays are freed with the step; each request's
 * with the request.
 */
public final class BatchScheduler implements AutoCloseable {

	private static final System.Logger LOG = System.getLogger(BatchScheduler.class.getName());

	private final LlavaModel model;

	private final SchedulerOptions options;

	private final KvMemoryPool pool;

	private final SchedulerListener events;

	private final AtomicLong ids = new AtomicLong();

	private final ReentrantLock lock = new ReentrantLock();

	private final Condition work = this.lock.newCondition();

	/** Guarded by {@link #lock}. */
	private final ArrayDeque<Submission> waiting = new ArrayDeque<>();

	/** Scheduler thread only. */
	private final List<Submission> running = new ArrayList<>();

	/** Scheduler thread only. */
	private @Nullable Submission prefilling;

	private volatile List<SequenceSnapshot> snapshot = List.of();

	private volatile long heldBytes;

	private volatile boolean closed;

	private final Thread thread;

	public BatchScheduler(LlavaModel model, SchedulerOptions options) {
		this(model, options, SchedulerListener.NONE);
	}

	public BatchScheduler(LlavaModel model, SchedulerOptions options, SchedulerListener events) {
		this.model = model;
		this.options = options;
		this.pool = new KvMemoryPool(options.kvCacheBytes());
		this.events = events;
		this.thread = new Thread(this::loop, "vlcache-scheduler");
		this.thread.setDaemon(true);
	}

	/**
	 * Starts serving; requests submitted before wait in the queue (their queue timeout runs from submission).
	 * Calling it again does nothing.
	 * @return this scheduler
	 */
	public synchronized BatchScheduler start() {
		if (!this.thread.isAlive() && !this.closed) {
			this.thread.start();
		}
		return this;
	}

	/**
	 * Queues a request. Its images are decoded and its prompt encoded here, on the caller's thread, so that bad
	 * input fails at once.
	 * @param tokens receives streamed text, on the scheduler thread; an exception it throws fails this request only
	 * @param cancelled checked before every step of this request
	 * @throws IllegalArgumentException for bad input, or {@link KvBudgetExceededException} when the request could
	 * never fit in the KV-cache budget
	 * @throws IllegalStateException when the scheduler is closed
	 */
	public Submission submit(GenerationRequest request, TokenListener tokens, BooleanSupplier cancelled) {
		Sequence sequence = Sequence.prepare(this.model, request, tokens, cancelled);
		long needed = sequence.reservedKvBytes();
		if (needed > this.pool.budget()) {
			throw new KvBudgetExceededException(sequence.promptTokens(), sequence.maxNewTokens(), needed,
					this.pool.budget());
		}
		Submission submission = new Submission(this.ids.incrementAndGet(), sequence);
		this.lock.lock();
		try {
			if (this.closed) {
				throw new IllegalStateException("the scheduler is closed");
			}
			this.waiting.add(submission);
			this.work.signal();
		}
		finally {
			this.lock.unlock();
		}
		return submission;
	}

	public SchedulerOptions options() {
		return this.options;
	}

	/** Requests waiting for admission. */
	public int waitingCount() {
		this.lock.lock();
		try {
			return this.waiting.size();
		}
		finally {
			this.lock.unlock();
		}
	}

	/** Requests admitted (prefilling or decoding), as of the last iteration. */
	public int runningCount() {
		return this.snapshot.size();
	}

	/** The admitted requests as of the last iteration. */
	public List<SequenceSnapshot> running() {
		return this.snapshot;
	}

	/** KV-cache bytes reserved in the pool right now. */
	public long reservedKvBytes() {
		return this.pool.reserved();
	}

	/** KV-cache bytes the admitted requests hold, as of the last iteration. */
	public long heldKvBytes() {
		return this.heldBytes;
	}

	/** The KV-cache budget in bytes. */
	public long kvBudgetBytes() {
		return this.pool.budget();
	}

	/** Whether the scheduler still serves. */
	public boolean isOpen() {
		return !this.closed && this.thread.isAlive();
	}

	private void loop() {
		while (true) {
			this.lock.lock();
			try {
				while (!this.closed && this.waiting.isEmpty() && this.running.isEmpty() && this.prefilling == null) {
					this.work.awaitUninterruptibly();
				}
				if (this.closed) {
					break;
				}
			}
			finally {
				this.lock.unlock();
			}
			try {
				// Expiry first: a request past its wait fails even if room opened in the same iteration, so that
				// the timeout is a bound a client can rely on.
				expireWaiting();
				admit();
				decodeStep();
				prefillStep();
			}
			catch (RuntimeException | Error ex) {
				// Not one request's fault (each step isolates those): fail what runs, keep serving the queue.
				for (Submission s : this.running) {
					fail(s, ex);
				}
				this.running.clear();
				Submission p = this.prefilling;
				if (p != null) {
					fail(p, ex);
					this.prefilling = null;
				}
			}
			publish();
		}
		shutdown();
	}

	/** Takes cancelled and timed-out requests out of the queue and completes them. */
	private void expireWaiting() {
		long now = System.nanoTime();
		List<Submission> cancelled = new ArrayList<>();
		List<Submission> expired = new ArrayList<>();
		List<Submission> failed = new ArrayList<>();
		List<RuntimeException> failures = new ArrayList<>();
		this.lock.lock();
		try {
			Iterator<Submission> it = this.waiting.iterator();
			while (it.hasNext()) {
				Submission s = it.next();
				try {
					if (s.sequence.checkCancelled()) {
						cancelled.add(s);
						it.remove();
					}
					else if (now - s.submittedAt > this.options.queueTimeout().toNanos()) {
						expired.add(s);
						it.remove();
					}
				}
				catch (RuntimeException ex) {
					failed.add(s);
					failures.add(ex);
					it.remove();
				}
			}
		}
		finally {
			this.lock.unlock();
		}
		cancelled.forEach(this::complete);
		for (int i = 0; i < failed.size(); i++) {
			fail(failed.get(i), failures.get(i));
		}
		for (Submission s : expired) {
			tell(this.events::onQueueTimeout);
			fail(s, new QueueTimeoutException(Duration.ofNanos(now - s.submittedAt), this.running.size(),
					this.pool.reserved(), this.pool.budget()));
		}
	}

	/** Starts the prefill of the head of the queue when nothing else is prefilling and it fits. */
	private void admit() {
		if (this.prefilling != null || this.running.size() >= this.options.maxBatchSize()) {
			return;
		}
		Submission head;
		this.lock.lock();
		try {
			head = this.waiting.peek();
			if (head == null || !this.pool.tryReserve(head.sequence.reservedKvBytes())) {
				return;
			}
			this.waiting.poll();
		}
		finally {
			this.lock.unlock();
		}
		head.reserved = head.sequence.reservedKvBytes();
		long queued = System.nanoTime() - head.submittedAt;
		tell(() -> this.events.onAdmitted(queued));
		this.prefilling = head;
		try {
			head.sequence.begin();
		}
		catch (RuntimeException ex) {
			this.prefilling = null;
			fail(head, ex);
		}
	}

	private void prefillStep() {
		Submission s = this.prefilling;
		if (s == null) {
			return;
		}
		try {
			if (s.sequence.checkCancelled()) {
				this.prefilling = null;
				complete(s);
				return;
			}
			if (!s.sequence.prefill(this.options.prefillStepTokens())) {
				return;
			}
			this.prefilling = null;
			// Compression shrank the cache: give the evicted bytes back now, for the next request.
			long now = s.sequence.reservedKvBytes();
			this.pool.release(s.reserved - now);
			s.reserved = now;
			if (s.sequence.isFinished()) {
				complete(s);
			}
			else {
				this.running.add(s);
			}
		}
		catch (RuntimeException ex) {
			this.prefilling = null;
			fail(s, ex);
		}
	}

	private void decodeStep() {
		List<Submission> batch = new ArrayList<>(this.running.size());
		for (Submission s : this.running) {
			try {
				if (!s.sequence.checkCancelled()) {
					batch.add(s);
				}
			}
			catch (RuntimeException ex) {
				fail(s, ex);
			}
		}
		if (!batch.isEmpty()) {
			int[][] lengths = new int[batch.size()][];
			for (int i = 0; i < batch.size(); i++) {
				lengths[i] = batch.get(i).sequence.cacheLengths();
			}
			float[][] logits = null;
			try {
				logits = forward(batch);
			}
			catch (RuntimeException ex) {
				if (batch.size() == 1) {
					batch.get(0).sequence.cache().truncate(lengths[0]);
					fail(batch.get(0), ex);
				}
				else {
					retryAlone(batch, lengths);
				}
			}
			if (logits != null) {
				for (int i = 0; i < batch.size(); i++) {
					accept(batch.get(i), logits[i]);
				}
			}
			int size = batch.size();
			tell(() -> this.events.onDecodeStep(size));
		}
		Iterator<Submission> it = this.running.iterator();
		while (it.hasNext()) {
			Submission s = it.next();
			if (s.result.isDone()) {
				it.remove();
			}
			else if (s.sequence.isFinished()) {
				complete(s);
				it.remove();
			}
		}
	}

	/** After a failed batched step: undo its appends, then run each sequence alone so only the culprit fails. */
	private void retryAlone(List<Submission> batch, int[][] lengths) {
		for (int i = 0; i < batch.size(); i++) {
			batch.get(i).sequence.cache().truncate(lengths[i]);
		}
		for (int i = 0; i < batch.size(); i++) {
			Submission s = batch.get(i);
			try {
				accept(s, forward(List.of(s))[0]);
			}
			catch (RuntimeException ex) {
				s.sequence.cache().truncate(lengths[i]);
				fail(s, ex);
			}
		}
	}

	private float[][] forward(List<Submission> batch) {
		int b = batch.size();
		long[] tokens = new long[b];
		int[] indices = new int[b];
		List<KvCache> caches = new ArrayList<>(b);
		List<RotaryPositions> rotary = new ArrayList<>(b);
		for (int i = 0; i < b; i++) {
			Sequence s = batch.get(i).sequence;
			tokens[i] = s.nextToken();
			indices[i] = s.nextIndex();
			caches.add(s.cache());
			rotary.add(s.rotary());
		}
		float[] flat;
		try (NDManager step = this.model.newRequestManager()) {
			flat = this.model.decode(step, tokens, caches, indices, rotary).toFloatArray();
		}
		int vocab = flat.length / b;
		float[][] rows = new float[b][];
		for (int i = 0; i < b; i++) {
			rows[i] = Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
		}
		return rows;
	}

	/** Passes an event on; a listener that throws is logged, never allowed to fail the requests of the step. */
	private static void tell(Runnable event) {
		try {
			event.run();
		}
		catch (RuntimeException ex) {
			LOG.log(System.Logger.Level.WARNING, "a scheduler listener threw; ignored", ex);
		}
	}

	/** Hands a step's logits to one sequence; its sampling or listener failing fails it alone. */
	private void accept(Submission s, float[] logits) {
		try {
			s.sequence.acceptStep(logits);
		}
		catch (RuntimeException ex) {
			fail(s, ex);
		}
	}

	private void complete(Submission s) {
		GenerationResult result;
		try {
			result = s.sequence.result();
		}
		catch (RuntimeException ex) {
			fail(s, ex);
			return;
		}
		release(s);
		s.result.complete(result);
	}

	private void fail(Submission s, Throwable error) {
		release(s);
		s.result.completeExceptionally(error);
	}

	/** Frees a request's memory; the published state no longer counts it by the time its future completes. */
	private void release(Submission s) {
		s.sequence.close();
		if (s.reserved > 0) {
			this.pool.release(s.reserved);
			s.reserved = 0;
		}
		s.released = true;
		publish();
	}

	private void publish() {
		List<SequenceSnapshot> out = new ArrayList<>(this.running.size() + 1);
		long held = 0;
		Submission p = this.prefilling;
		if (p != null && !p.released) {
			out.add(p.snapshot());
			held += p.sequence.heldKvBytes();
		}
		for (Submission s : this.running) {
			if (!s.released) {
				out.add(s.snapshot());
				held += s.sequence.heldKvBytes();
			}
		}
		this.snapshot = List.copyOf(out);
		this.heldBytes = held;
	}

	/** Fails everything still queued or running, once the loop has stopped. */
	private void shutdown() {
		IllegalStateException closedError = new IllegalStateException("the scheduler was closed");
		List<Submission> left = new ArrayList<>(this.running);
		Submission p = this.prefilling;
		if (p != null) {
			left.add(p);
		}
		this.lock.lock();
		try {
			left.addAll(this.waiting);
			this.waiting.clear();
		}
		finally {
			this.lock.unlock();
		}
		this.running.clear();
		this.prefilling = null;
		for (Submission s : left) {
			fail(s, closedError);
		}
		this.snapshot = List.of();
		this.heldBytes = 0;
	}

	/**
	 * Stops serving: requests still queued or running fail with {@link IllegalStateException}, and their memory
	 * is freed. The model is closed by its owner.
	 */
	@Override
	public synchronized void close() {
		this.lock.lock();
		try {
			this.closed = true;
			this.work.signal();
		}
		finally {
			this.lock.unlock();
		}
		if (this.thread.getState() == Thread.State.NEW) {
			shutdown();
			return;
		}
		try {
			this.thread.join();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/** A queued request: its id and the future of its result. */
	public static final class Submission {

		private final long id;

		private final Sequence sequence;

		private final long submittedAt = System.nanoTime();

		private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();

		/** Bytes reserved in the pool; scheduler thread only. */
		private long reserved;

		/** Whether its memory was freed; scheduler thread only. */
		private boolean released;

		Submission(long id, Sequence sequence) {
			this.id = id;
			this.sequence = sequence;
		}

		public long id() {
			return this.id;
		}

		/** Prompt length, image tokens included. */
		public int promptTokens() {
			return this.sequence.promptTokens();
		}

		/**
		 * Completes with the result (also when cancelled), or exceptionally with the request's failure:
		 * {@link QueueTimeoutException}, an engine error, an exception of its listener.
		 */
		public CompletableFuture<GenerationResult> result() {
			return this.result;
		}

		private SequenceSnapshot snapshot() {
			int[] lengths = this.sequence.cacheLengths();
			int min = Arrays.stream(lengths).min().orElse(0);
			int max = Arrays.stream(lengths).max().orElse(0);
			return new SequenceSnapshot(this.id, this.sequence.state().name(), this.sequence.promptTokens(),
					this.sequence.generatedTokens(), this.sequence.heldKvBytes(), this.reserved, min, max);
		}

	}

}
