const $ = (id) => document.getElementById(id);
const LOCKED = "Locked: subscribe to this course to open it";

async function gql(query, variables) {
  const token = $("token").value.trim();
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer " + token },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) { throw new Error(body.errors.map((e) => e.message).join("; ")); }
  return body.data;
}

function status(text, problem = false) {
  $("status").textContent = text;
  $("status").className = problem ? "problem" : "";
}

// Runs an event handler, showing what went wrong instead of losing it in the console.
const guarded = (handler) => async (...args) => {
  try { await handler(...args); } catch (error) { status(String(error.message || error), true); }
};

function element(tag, text, attributes = {}) {
  const made = document.createElement(tag);
  if (text !== undefined) { made.textContent = text; }
  for (const [name, value] of Object.entries(attributes)) { made.setAttribute(name, value); }
  return made;
}

const count = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

function progressText(progress) {
  return `${progress.completedLessons} of ${count(progress.totalLessons, "lesson")} completed`;
}

$("load").onclick = guarded(async () => {
  status("Loading...");
  const data = await gql(`{
    me { subscriptions(first: 50) { edges { node { isActive course { id title } } } } }
    courses(first: 20) { edges { node { id title price currency isFree } } } }`);
  const mine = data.me.subscriptions.edges
    .filter((e) => e.node.isActive && e.node.course).map((e) => e.node.course);
  const owned = new Set(mine.map((course) => course.id));
  const others = data.courses.edges.map((e) => e.node).filter((c) => !owned.has(c.id));
  const list = $("courses");
  list.replaceChildren();
  const add = (course, mark, subscribed) => {
    const item = element("li", undefined, { "data-subscribed": String(subscribed) });
    const button = element("button", course.title, { "data-course-id": course.id });
    button.onclick = guarded(() => showCourse(course.id));
    item.append(button, " ", element("span", mark, { class: "tag" }));
    list.append(item);
  };
  for (const course of mine) { add(course, "subscribed", true); }
  for (const course of others) {
    const price = course.isFree ? "free" : `${(course.price / 100).toFixed(2)} ${course.currency}`;
    add(course, `not subscribed, ${price}`, false);
  }
  status(`${count(mine.length, "subscribed course")}, ${others.length} more in the catalog`);
});

async function showCourse(courseId) {
  const data = await gql(`query ($c: ID!) {
    course(id: $c) { id title lessons(first: 100) { edges { node {
      id position title kind isPreview durationSeconds exercises { __typename } } } } }
    me { progress(courseId: $c) { completedLessons totalLessons } } }`, { c: courseId });
  $("lesson-view").hidden = true;
  $("exercise-view").hidden = true;
  if (!data.course) { return status("That course is not in the catalog", true); }
  $("course-view").hidden = false;
  $("course-view").dataset.courseId = courseId;
  $("course-title").textContent = data.course.title;
  $("progress").textContent = progressText(data.me.progress);
  const list = $("lessons");
  list.replaceChildren();
  for (const { node: lesson } of data.course.lessons.edges) {
    const state = lesson.exercises.__typename === "NotEntitled" ? "locked" : "open";
    const item = element("li", undefined, { "data-lesson-id": lesson.id, "data-state": state });
    const button = element("button", `${lesson.position}. ${lesson.title}`);
    button.onclick = guarded(() => showLesson(lesson.id));
    const minutes = Math.round(lesson.durationSeconds / 60);
    const tags = `${lesson.kind.toLowerCase()}, ${minutes} min${lesson.isPreview ? ", preview" : ""}`;
    item.append(button, " ", element("span", state, { class: "state" }), " ",
      element("span", tags, { class: "tag" }));
    list.append(item);
  }
  status(count(data.course.lessons.edges.length, "lesson"));
}

async function showLesson(lessonId) {
  const data = await gql(`query ($id: ID!) { lesson(id: $id) { id title kind
    exercises { __typename ... on ExerciseList { items {
      id text targetWpm targetAccuracy keyboardLayout language } } ... on NotEntitled { message } }
    assets { __typename ... on AssetList { items { kind contentType url variants { width url } } }
      ... on NotEntitled { message } } } }`, { id: lessonId });
  const lesson = data.lesson;
  $("exercise-view").hidden = true;
  $("lesson-view").hidden = false;
  $("images").replaceChildren();
  $("exercises").replaceChildren();
  if (!lesson) { return status("That lesson is not in the catalog", true); }
  $("lesson-title").textContent = lesson.title;
  const lessonStatus = $("lesson-status");
  if (lesson.exercises.__typename === "NotEntitled") {
    lessonStatus.dataset.state = "locked";
    lessonStatus.textContent = LOCKED;
    return;
  }
  lessonStatus.dataset.state = "open";
  if (lesson.assets.__typename === "AssetList") { showImages(lesson.assets.items); }
  const exercises = lesson.exercises.items;
  if (lesson.kind !== "TYPING" || exercises.length === 0) {
    lessonStatus.textContent = `A ${lesson.kind.toLowerCase()} lesson: nothing to type here`;
    return;
  }
  lessonStatus.textContent = `${count(exercises.length, "exercise")}: choose one`;
  exercises.forEach((exercise, index) => {
    const item = element("li");
    const button = element("button", `Exercise ${index + 1}`, { "data-exercise-id": exercise.id });
    button.onclick = () => startExercise(exercise);
    const about = `${exercise.text.length} characters, target ${exercise.targetWpm} WPM at`
      + ` ${exercise.targetAccuracy}% (${exercise.keyboardLayout.toLowerCase()})`;
    item.append(button, " ", element("span", about, { class: "tag" }));
    $("exercises").append(item);
  });
}

function showImages(assets) {
  for (const asset of assets.filter((a) => a.kind === "IMAGE")) {
    const smallest = [...asset.variants].sort((a, b) => a.width - b.width)[0];
    $("images").append(element("img", undefined, { src: smallest ? smallest.url : asset.url, alt: "" }));
  }
}

// The exercise being typed: its text, and when the first keystroke came (null: not yet).
let typing = null;

function startExercise(exercise) {
  typing = { exercise, startedAt: null, finished: false };
  $("exercise-view").hidden = false;
  $("exercise-target").textContent =
    `Target: ${exercise.targetWpm} WPM at ${exercise.targetAccuracy}% accuracy`;
  $("exercise-text").textContent = exercise.text;
  $("result-wpm").textContent = "-";
  $("result-accuracy").textContent = "-";
  const saved = $("result-saved");
  saved.textContent = "";
  delete saved.dataset.state;
  const area = $("typing");
  area.value = "";
  area.readOnly = false;
  area.focus();
}

$("typing").addEventListener("input", () => {
  if (!typing || typing.finished) { return; }
  if (typing.startedAt === null) { typing.startedAt = performance.now(); }
  if ($("typing").value.length >= typing.exercise.text.length) { finish(); }
});
$("finish").onclick = () => finish();

function finish() {
  if (!typing || typing.finished) { return; }
  const typed = $("typing").value;
  if (typing.startedAt === null || typed.length === 0) {
    return status("Type the text first", true);
  }
  typing.finished = true;
  $("typing").readOnly = true;
  const durationMs = Math.max(1, Math.round(performance.now() - typing.startedAt));
  const text = typing.exercise.text;
  let matching = 0;
  for (let i = 0; i < typed.length; i++) { if (typed[i] === text[i]) { matching++; } }
  const wpm = typed.length / 5 / (durationMs / 60000);
  const accuracy = (matching / typed.length) * 100;
  $("result-wpm").textContent = wpm.toFixed(1);
  $("result-accuracy").textContent = accuracy.toFixed(1);
  guarded(() => submit(typing.exercise.id, wpm, accuracy, durationMs))();
}

async function submit(exerciseId, wpm, accuracy, durationMs) {
  const saved = $("result-saved");
  saved.dataset.state = "saving";
  saved.textContent = "Saving...";
  try {
    const answer = (await gql(`mutation ($e: ID!, $wpm: Float!, $acc: Float!, $ms: Int!) {
      submitExerciseResult(exerciseId: $e, wpm: $wpm, accuracy: $acc, durationMs: $ms) {
        __typename ... on ExerciseResultPayload { standing { attempts bestWpm passed }
          progress { completedLessons totalLessons } }
        ... on UserError { message } ... on InvalidInput { field } } }`,
    { e: exerciseId, wpm, acc: accuracy, ms: durationMs })).submitExerciseResult;
    if (answer.__typename !== "ExerciseResultPayload") {
      saved.dataset.state = "refused";
      saved.textContent = `Not saved: ${answer.message}`;
      return;
    }
    const { standing, progress } = answer;
    saved.dataset.state = "saved";
    saved.textContent = `Saved: attempt ${standing.attempts}, best ${standing.bestWpm.toFixed(1)}`
      + ` WPM, ${standing.passed ? "passed" : "not passed yet"}. Course progress: `
      + progressText(progress) + ".";
    $("progress").textContent = progressText(progress);
  } catch (error) {
    saved.dataset.state = "failed";
    saved.textContent = `Not saved: ${error.message || error}`;
  }
}
