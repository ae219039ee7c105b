// While a team registers a project, show what already exists like it (GET, no writes).
const box = document.getElementById("similar-projects");
const form = box && box.parentElement.querySelector("form");
if (box && form) {
  const fields = ["title", "summary", "problem", "approach"];
  let timer = null;
  let last = "";
  let asked = 0;
  const check = async () => {
    const params = new URLSearchParams();
    for (const name of fields) {
      const input = form.elements.namedItem(name);
      if (input && input.value) params.set(name, input.value);
    }
    const query = params.toString();
    if (query === last) return;
    last = query;
    // Answers can arrive out of order (a blur's check and the typing's overlap): only the
    // answer to the newest question is shown.
    const mine = ++asked;
    const response = await fetch("/learning/similar-projects?" + query, { credentials: "same-origin" });
    if (!response.ok) return;
    const html = await response.text();
    if (mine === asked) box.innerHTML = html;
  };
  for (const name of fields) {
    const input = form.elements.namedItem(name);
    if (input) {
      input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 400); });
      input.addEventListener("change", check);
    }
  }
}
