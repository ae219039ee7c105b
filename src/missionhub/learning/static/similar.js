// While a team registers a project, show what already exists like it (GET, no writes).
const box = document.getElementById("similar-projects");
const form = box && box.parentElement.querySelector("form");
if (box && form) {
  const fields = ["title", "summary", "problem", "approach"];
  let timer = null;
  let last = "";
  const check = async () => {
    const params = new URLSearchParams();
    for (const name of fields) {
      const input = form.elements.namedItem(name);
      if (input && input.value) params.set(name, input.value);
    }
    const query = params.toString();
    if (query === last) return;
    last = query;
    const response = await fetch("/learning/similar-projects?" + query, { credentials: "same-origin" });
    if (response.ok) box.innerHTML = await response.text();
  };
  for (const name of fields) {
    const input = form.elements.namedItem(name);
    if (input) {
      input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 400); });
      input.addEventListener("change", check);
    }
  }
}
