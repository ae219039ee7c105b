// Poll a running job's progress and reload the page when it has finished.
const status = document.getElementById("job-status");
const bar = document.getElementById("job-progress");
const text = document.getElementById("job-progress-text");

async function poll() {
  const response = await fetch(`/jobs/${status.dataset.jobId}/status`, { credentials: "same-origin" });
  if (!response.ok) return;
  const job = await response.json();
  if (job.finished) {
    window.location.reload();
    return;
  }
  if (bar && job.total) {
    bar.max = job.total;
    bar.value = job.done;
  }
  const percent = job.percent === null ? "" : ` ${job.percent}% (${job.done} of ${job.total})`;
  text.textContent = `${percent}${job.message ? " – " + job.message : ""}`;
  setTimeout(poll, 1500);
}

if (status && status.dataset.finished === "false") {
  setTimeout(poll, 1500);
}
