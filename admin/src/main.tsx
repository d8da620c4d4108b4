import "@mantine/core/styles.css";
// After core's styles, as Mantine asks: the usage charts (@mantine/charts) are styled by these.
import "@mantine/charts/styles.css";
import { MantineProvider, createTheme } from "@mantine/core";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { App } from "./App";
import { SessionProvider } from "./auth/session";

const theme = createTheme({ primaryColor: "indigo", defaultRadius: "md" });

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
createRoot(root).render(
  <StrictMode>
    <MantineProvider theme={theme}>
      <BrowserRouter basename="/admin">
        <SessionProvider>
          <App />
        </SessionProvider>
      </BrowserRouter>
    </MantineProvider>
  </StrictMode>,
);
