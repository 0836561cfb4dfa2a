/**
 * The demo model's visual question-answering task: scenes of small labelled shapes on a page, questions whose
 * answer sits in one object among distractors, counting and descriptions, all generated from a seed.
 */
@NullMarked
package dev.vlcache.demo.task;

import org.jspecify.annotations.NullMarked;
