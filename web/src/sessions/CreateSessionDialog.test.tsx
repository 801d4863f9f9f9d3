import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { jsonResponse, renderAt, stubApi } from "../test/render";
import { CreateSessionDialog } from "./CreateSessionDialog";

describe("CreateSessionDialog", () => {
  it("explains every engine in one line", () => {
    renderAt(<CreateSessionDialog isOpen onOpenChange={() => undefined} onCreated={() => undefined} />);
    expect(screen.getAllByRole("radio").map((radio) => radio.getAttribute("value"))).toEqual(["GOWS", "NOWEB", "WEBJS"]);
    expect(screen.getByText(/Recommended\. Fast and light/)).toBeVisible();
    expect(screen.getByText(/real browser/)).toBeVisible();
  });

  it("refuses an empty name without calling the API", async () => {
    const api = stubApi({});
    renderAt(<CreateSessionDialog isOpen onOpenChange={() => undefined} onCreated={() => undefined} />);
    await userEvent.click(screen.getByRole("button", { name: "Create and pair" }));
    expect(await screen.findByText("Give the number a name, e.g. “support”.")).toBeVisible();
    expect(api).not.toHaveBeenCalled();
  });

  it("creates the number with the chosen engine and a slug of the name", async () => {
    const api = stubApi({ "POST /api/sessions": (init) => jsonResponse(201, { id: "s9", ...JSON.parse(String(init?.body)) }) });
    const onCreated = vi.fn();
    renderAt(<CreateSessionDialog isOpen onOpenChange={() => undefined} onCreated={onCreated} />);
    await userEvent.type(screen.getByLabelText("Name"), "Vendas SP");
    await userEvent.click(screen.getByRole("radio", { name: /NOWEB/ }));
    await userEvent.click(screen.getByRole("button", { name: "Create and pair" }));
    await expect.poll(() => onCreated.mock.calls.length).toBe(1);
    expect(JSON.parse(String(api.mock.calls[0][1]?.body))).toEqual({ name: "vendas-sp", engine: "NOWEB", display_name: "Vendas SP" });
  });

  it("shows the API's refusal (quota) on the form", async () => {
    stubApi({ "POST /api/sessions": () => jsonResponse(403, { detail: "Session quota reached: you have 2 of 2 sessions. Delete one first." }) });
    renderAt(<CreateSessionDialog isOpen onOpenChange={() => undefined} onCreated={() => undefined} />);
    await userEvent.type(screen.getByLabelText("Name"), "third");
    await userEvent.click(screen.getByRole("button", { name: "Create and pair" }));
    expect(await screen.findByText(/Session quota reached/)).toBeVisible();
  });
});
