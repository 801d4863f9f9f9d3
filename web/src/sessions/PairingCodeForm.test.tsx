import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { jsonResponse, stubApi } from "../test/render";
import { PairingCodeForm } from "./PairingCodeForm";

describe("PairingCodeForm", () => {
  it("asks for an international number before calling the API", async () => {
    const api = stubApi({});
    render(<PairingCodeForm sessionId="s1" />);
    await userEvent.type(screen.getByLabelText("Phone number"), "12ab");
    await userEvent.click(screen.getByRole("button", { name: "Get pairing code" }));
    expect(await screen.findByText(/Enter the full number with country code/)).toBeVisible();
    expect(api).not.toHaveBeenCalled();
  });

  it("shows the code WhatsApp asks for", async () => {
    const api = stubApi({ "POST /api/sessions/s1/pairing-code": () => jsonResponse(200, { code: "ABCD-EFGH" }) });
    render(<PairingCodeForm sessionId="s1" />);
    await userEvent.type(screen.getByLabelText("Phone number"), "+1 555 000 1111");
    await userEvent.click(screen.getByRole("button", { name: "Get pairing code" }));
    expect(await screen.findByTestId("pairing-code")).toHaveTextContent("ABCD-EFGH");
    expect(JSON.parse(String(api.mock.calls[0][1]?.body))).toEqual({ phone_number: "+15550001111" });
  });
});
